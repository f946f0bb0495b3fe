// WWW-Authenticate parsing (RFC 9110 #challenge) and the choice of scheme.
import { describe, expect, it } from "vitest";
import {
  type Challenge,
  parseChallenges,
  selectChallenge,
} from "../../../src/registry/auth/challenge.ts";

const plain = (c: Challenge) => ({
  scheme: c.scheme,
  params: Object.fromEntries(c.params),
  token68: c.token68,
});
const parse = (input: string | string[] | Headers) => {
  const { challenges, errors } = parseChallenges(input);
  return { challenges: challenges.map(plain), errors };
};

describe("parseChallenges", () => {
  const cases: [string, ReturnType<typeof plain>[]][] = [
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [{
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/alpine:pull",
        },
        token68: undefined,
      }],
    ],
    ['Basic realm="Registry Realm"', [{
      scheme: "basic",
      params: { realm: "Registry Realm" },
      token68: undefined,
    }]],
    ["Basic", [{ scheme: "basic", params: {}, token68: undefined }]],
    ["BEARER REALM=https://a/t", [{
      scheme: "bearer",
      params: { realm: "https://a/t" },
      token68: undefined,
    }]],
    [
      'Basic realm="a", Bearer realm="https://b/t", service=svc',
      [
        { scheme: "basic", params: { realm: "a" }, token68: undefined },
        { scheme: "bearer", params: { realm: "https://b/t", service: "svc" }, token68: undefined },
      ],
    ],
    [
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
      [
        {
          scheme: "newauth",
          params: { realm: "apps", type: "1", title: 'Login to "apps"' },
          token68: undefined,
        },
        { scheme: "basic", params: { realm: "simple" }, token68: undefined },
      ],
    ],
    [
      'Bearer realm="https://a/t",scope="repository:x:pull,push", error="insufficient_scope"',
      [{
        scheme: "bearer",
        params: {
          realm: "https://a/t",
          scope: "repository:x:pull,push",
          error: "insufficient_scope",
        },
        token68: undefined,
      }],
    ],
    [
      '  ,, Bearer   realm = "https://a/t" ,  service =svc ,, ',
      [{ scheme: "bearer", params: { realm: "https://a/t", service: "svc" }, token68: undefined }],
    ],
    ["Negotiate abc+/def==", [{ scheme: "negotiate", params: {}, token68: "abc+/def==" }]],
    [
      "Negotiate abc=, Basic realm=x",
      [
        { scheme: "negotiate", params: {}, token68: "abc=" },
        { scheme: "basic", params: { realm: "x" }, token68: undefined },
      ],
    ],
    ['Bearer realm=""', [{ scheme: "bearer", params: { realm: "" }, token68: undefined }]],
    ['Bearer Realm="x", SERVICE="y"', [{
      scheme: "bearer",
      params: { realm: "x", service: "y" },
      token68: undefined,
    }]],
    ['Basic realm="back\\\\slash"', [{
      scheme: "basic",
      params: { realm: "back\\slash" },
      token68: undefined,
    }]],
    ["", []],
    [" , ", []],
  ];
  it.each(cases)("parses %s", (header, expected) => {
    expect(parse(header)).toEqual({ challenges: expected, errors: [] });
  });

  it("reads several header fields as one list", () => {
    const headers = new Headers();
    headers.append("WWW-Authenticate", 'Basic realm="r"');
    headers.append("WWW-Authenticate", 'Bearer realm="https://a/t",service="s"');
    expect(parse(headers).challenges.map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(parse(['Basic realm="r"', "Bearer realm=https://a/t"]).challenges.map((c) => c.scheme))
      .toEqual([
        "basic",
        "bearer",
      ]);
    expect(parseChallenges(new Headers()).challenges).toEqual([]);
    expect(parseChallenges(null).challenges).toEqual([]);
  });

  it("drops a malformed challenge, says why, and keeps the good ones", () => {
    const bad: [string, string, string[]][] = [
      ['Bearer realm="unterminated', "unterminated quoted string", []],
      ["Bearer service=x, realm=", 'parameter "realm" has no value', []],
      ['Bearer realm="a", realm="b"', 'parameter "realm" appears twice', []],
      ['Bearer realm="a" service="b"', "expected a comma", []],
      ["=oops, Basic realm=x", "expected an auth-scheme", ["basic"]],
      ['Basic realm="x", Bearer realm="a" junk, Foo', "expected a comma", ["basic", "foo"]],
      ['Bearer realm="a" "b", Basic realm="c, \\"d\\""', "expected a comma", ["basic"]],
      ['Basic"x"', "expected a space after the auth-scheme", []],
    ];
    for (const [header, message, schemes] of bad) {
      const { challenges, errors } = parseChallenges(header);
      expect(errors.length, header).toBe(1);
      expect(errors[0], header).toContain(message);
      expect(challenges.map((c) => c.scheme), header).toEqual(schemes);
    }
  });

  it("recovers a Basic challenge with a quoted comma after a broken one", () => {
    const { challenges } = parseChallenges('Bearer realm="a" "b", Basic realm="c, \\"d\\""');
    expect(challenges[0]?.params.get("realm")).toBe('c, "d"');
  });
});

describe("selectChallenge", () => {
  it("prefers Bearer, then Basic, else nothing", () => {
    const pick = (h: string) => selectChallenge(parseChallenges(h).challenges)?.scheme;
    expect(pick('Basic realm="r", Bearer realm="https://a/t"')).toBe("bearer");
    expect(pick('Basic realm="r", Negotiate abc')).toBe("basic");
    expect(pick("Negotiate abc")).toBeUndefined();
    expect(pick("")).toBeUndefined();
  });
});
