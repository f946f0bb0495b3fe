// Image references: the distribution grammar (cases from
// distribution/reference's own suite), Docker Hub normalisation, and the
// messages for malformed input.
import { describe, expect, it } from "vitest";
import { InvalidReferenceError, parseReference } from "../../src/reference/mod.ts";

const H256 = "a".repeat(64);
const D256 = `sha256:${H256}`;
const D512 = `sha512:${"0".repeat(128)}`;

type Expected = [
  input: string,
  registry: string,
  apiHost: string,
  repository: string,
  tag?: string,
  digest?: string,
];

const valid: Expected[] = [
  ["alpine", "docker.io", "registry-1.docker.io", "library/alpine", "latest"],
  ["alpine:3.20", "docker.io", "registry-1.docker.io", "library/alpine", "3.20"],
  ["library/alpine", "docker.io", "registry-1.docker.io", "library/alpine", "latest"],
  ["docker.io/alpine", "docker.io", "registry-1.docker.io", "library/alpine", "latest"],
  ["index.docker.io/alpine", "docker.io", "registry-1.docker.io", "library/alpine", "latest"],
  ["index.docker.io/user/app:1", "docker.io", "registry-1.docker.io", "user/app", "1"],
  ["docker.io/library/alpine:edge", "docker.io", "registry-1.docker.io", "library/alpine", "edge"],
  ["docker://alpine", "docker.io", "registry-1.docker.io", "library/alpine", "latest"],
  ["docker://ghcr.io/o/r:v1", "ghcr.io", "ghcr.io", "o/r", "v1"],
  ["test_com/foo", "docker.io", "registry-1.docker.io", "test_com/foo", "latest"],
  ["test.com/foo", "test.com", "test.com", "foo", "latest"],
  ["test:8080/foo", "test:8080", "test:8080", "foo", "latest"],
  ["test.com:8080/foo:tag", "test.com:8080", "test.com:8080", "foo", "tag"],
  ["foo.com:8080/bar", "foo.com:8080", "foo.com:8080", "bar", "latest"],
  ["localhost/foo", "localhost", "localhost", "foo", "latest"],
  ["localhost:5000/foo/bar:v2", "localhost:5000", "localhost:5000", "foo/bar", "v2"],
  // No slash: `localhost` is a Hub repository and 5000 its tag, as in Docker.
  ["localhost:5000", "docker.io", "registry-1.docker.io", "library/localhost", "5000"],
  ["registry/name:tag", "docker.io", "registry-1.docker.io", "registry/name", "tag"],
  ["[::1]:5000/x", "[::1]:5000", "[::1]:5000", "x", "latest"],
  ["[2001:db8::1]:5000/x", "[2001:db8::1]:5000", "[2001:db8::1]:5000", "x", "latest"],
  ["[2001:db8::1]/repo/sub:t", "[2001:db8::1]", "[2001:db8::1]", "repo/sub", "t"],
  ["[fc00::1]:5000/foo@" + D256, "[fc00::1]:5000", "[fc00::1]:5000", "foo", undefined, D256],
  ["192.168.1.1:5000/img", "192.168.1.1:5000", "192.168.1.1:5000", "img", "latest"],
  ["Registry.Example.COM/app", "registry.example.com", "registry.example.com", "app", "latest"],
  [`alpine@${D256}`, "docker.io", "registry-1.docker.io", "library/alpine", undefined, D256],
  [`a:b@${D256}`, "docker.io", "registry-1.docker.io", "library/a", "b", D256],
  [`foo/bar@${D512}`, "docker.io", "registry-1.docker.io", "foo/bar", undefined, D512],
  ["x/a.b-c_d__e---f", "docker.io", "registry-1.docker.io", "x/a.b-c_d__e---f", "latest"],
  ["foo/foo_bar.com:8080", "docker.io", "registry-1.docker.io", "foo/foo_bar.com", "8080"],
  [
    "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
    "sub-dom1.foo.com",
    "sub-dom1.foo.com",
    "bar/baz/quux",
    "some-long-tag",
  ],
  [
    "b.gcr.io/test.example.com/my-app:test.example.com",
    "b.gcr.io",
    "b.gcr.io",
    "test.example.com/my-app",
    "test.example.com",
  ],
  ["xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com"],
  ["foo:_tag", "docker.io", "registry-1.docker.io", "library/foo", "_tag"],
  ["foo:A-Za-z0_9.", "docker.io", "registry-1.docker.io", "library/foo", "A-Za-z0_9."],
  [`foo:${"t".repeat(128)}`, "docker.io", "registry-1.docker.io", "library/foo", "t".repeat(128)],
  ["a".repeat(63) + "/b", "docker.io", "registry-1.docker.io", "a".repeat(63) + "/b", "latest"],
  // 255 characters of name (127 × "a/" + "a") is the maximum.
  [
    "a/".repeat(127) + "a:tag-puts-this-over-max",
    "docker.io",
    "registry-1.docker.io",
    "a/".repeat(127) + "a",
    "tag-puts-this-over-max",
  ],
];

const invalid: [input: string, message: string][] = [
  ["", "reference is empty"],
  ["docker://", "reference is empty"],
  [":justtag", "repository name is empty"],
  [`@${D256}`, "repository name is empty"],
  ["Uppercase/x", "repository name must be lowercase"],
  ["Uppercase:tag", "repository name must be lowercase"],
  ["docker/Docker", "must be lowercase"],
  ["docker.io/docker/Docker", "must be lowercase"],
  ["-docker", "invalid path component"],
  ["-docker/docker", "invalid path component"],
  ["-docker.io/docker/docker", 'invalid registry host "-docker.io"'],
  ["docker///docker", "empty path component"],
  ["docker.io/docker///docker", "empty path component"],
  ["foo/", "empty path component"],
  ["a..b", "invalid path component"],
  ["a._b", "invalid path component"],
  ["a___b", "invalid path component"],
  ["a-", "invalid path component"],
  ["a/b$c", "invalid path component"],
  ["foo:", "tag is empty"],
  ["foo:.tag", 'invalid tag ".tag"'],
  ["foo:-tag", "invalid tag"],
  ["foo:a+b", "invalid tag"],
  [`foo:${"t".repeat(129)}`, "tag is longer than 128 characters"],
  ["foo:bar:baz", "invalid tag"],
  ["foo@", "expected algorithm:hex"],
  ["foo@sha256:abc", "sha256 digest needs 64 lowercase hex digits"],
  [`foo@sha256:${"A".repeat(64)}`, "sha256 digest needs 64 lowercase hex digits"],
  [`foo@sha512:${H256}`, "sha512 digest needs 128"],
  [`foo@md5:${"0".repeat(32)}`, 'unsupported digest algorithm "md5"'],
  [`foo@${H256}`, "expected algorithm:hex"],
  [`foo@${D256}@${D256}`, "more than one @"],
  [H256, "image ID"],
  ["a/".repeat(128) + "a:tag", "longer than 255 characters"],
  ["https://github.com/docker/docker", "no URL scheme"],
  ["foo bar", "whitespace"],
  ["[fc00::1]", "must be followed by /repository"],
  ["[fc00::1]:5000", "must be followed by /repository"],
  ["[fc00::1/foo", "closing ]"],
  ["[zz::1]:5000/foo", "invalid IPv6 address"],
  ["[::1]x/foo", 'unexpected "x"'],
  ["foo.com:/bar", 'invalid port ""'],
  ["foo.com:abc/bar", 'invalid port "abc"'],
  ["foo.com:99999/bar", "port 99999 is out of range"],
  ["foo_bar.com:8080/x", 'invalid registry host "foo_bar.com"'],
  [".com/x", "invalid registry host"],
  ["a.b-c_d__e/g", 'invalid registry host "a.b-c_d__e"'],
];

describe("parseReference", () => {
  it.each(valid)("parses %s", (input, registry, apiHost, repository, tag, digest) => {
    const ref = parseReference(input);
    expect({
      registry: ref.registry,
      apiHost: ref.apiHost,
      repository: ref.repository,
      tag: ref.tag,
      digest: ref.digest,
    })
      .toEqual({ registry, apiHost, repository, tag, digest });
    // The normalised form is a fixed point (when the added `docker.io/`
    // does not push the name over the limit).
    if (ref.name.length <= 255) {
      expect(parseReference(ref.toString()).toString()).toBe(ref.toString());
    }
    expect(parseReference(ref.familiar).toString()).toBe(ref.toString());
  });

  it.each(invalid)("refuses %j", (input, message) => {
    expect(() => parseReference(input)).toThrow(InvalidReferenceError);
    expect(() => parseReference(input)).toThrow(message);
  });

  it("names the reference and the reason in the error", () => {
    try {
      parseReference("Alpine");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidReferenceError);
      const e = error as InvalidReferenceError;
      expect(e.message).toBe('invalid image reference "Alpine": repository name must be lowercase');
      expect(e.reference).toBe("Alpine");
      expect(e.reason).toBe("repository name must be lowercase");
      expect(e.name).toBe("InvalidReferenceError");
    }
  });

  it("prints normalised and familiar forms", () => {
    const cases: [string, string, string][] = [
      ["alpine", "docker.io/library/alpine:latest", "alpine:latest"],
      ["index.docker.io/user/app:1", "docker.io/user/app:1", "user/app:1"],
      ["docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest"],
      [`a:b@${D256}`, `docker.io/library/a:b@${D256}`, `a:b@${D256}`],
      [`ghcr.io/o/r@${D256}`, `ghcr.io/o/r@${D256}`, `ghcr.io/o/r@${D256}`],
      ["[::1]:5000/x:t", "[::1]:5000/x:t", "[::1]:5000/x:t"],
    ];
    for (const [input, full, familiar] of cases) {
      const ref = parseReference(input);
      expect(ref.toString()).toBe(full);
      expect(String(ref)).toBe(full);
      expect(JSON.stringify(ref)).toBe(JSON.stringify(full));
      expect(ref.familiar).toBe(familiar);
    }
  });

  it("asks the registry for the digest when there is one, else the tag", () => {
    expect(parseReference("alpine").manifestReference).toBe("latest");
    expect(parseReference("alpine:3").manifestReference).toBe("3");
    expect(parseReference(`alpine:3@${D256}`).manifestReference).toBe(D256);
    expect(parseReference(`alpine:3@${D256}`).tag).toBe("3");
    expect(parseReference("quay.io/a/b").name).toBe("quay.io/a/b");
  });
});
