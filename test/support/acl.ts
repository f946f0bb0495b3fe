/**
 * POSIX ACLs in the Linux xattr format (`system.posix_acl_access` and
 * `system.posix_acl_default` values), for building test trees the kernel
 * accepts: it validates every ACL it is given or reads from an image.
 *
 * Format (version 2): a little-endian u32 version, then 8-byte entries
 * `{ u16 tag, u16 perm, u32 id }`, in tag order USER_OBJ, USER…, GROUP_OBJ,
 * GROUP…, MASK, OTHER; ids only for USER and GROUP, 0xFFFFFFFF elsewhere.
 *
 * @module
 */

/** The owner's entry. */
export const ACL_USER_OBJ = 0x01;
/** A named user's entry. */
export const ACL_USER = 0x02;
/** The owning group's entry. */
export const ACL_GROUP_OBJ = 0x04;
/** A named group's entry. */
export const ACL_GROUP = 0x08;
/** The upper bound on group-class permissions. */
export const ACL_MASK = 0x10;
/** Everyone else's entry. */
export const ACL_OTHER = 0x20;

/** The id the kernel writes for entries that have none. */
export const ACL_UNDEFINED_ID = 0xffffffff;

/** One ACL entry; `perm` is rwx as 0 … 7. */
export interface AclEntry {
  tag: number;
  perm: number;
  /** Only for {@link ACL_USER} and {@link ACL_GROUP}. */
  id?: number;
}

/**
 * Encodes entries as an xattr value. Entries are written in the order given;
 * the kernel rejects any order but the canonical one (see module docs), and
 * reads back named entries sorted by id, so give them sorted.
 *
 * @example
 * ```ts
 * import { ACL_GROUP_OBJ, ACL_OTHER, ACL_USER_OBJ, encodeAcl } from "./acl.ts";
 * const value = encodeAcl([
 *   { tag: ACL_USER_OBJ, perm: 7 }, { tag: ACL_GROUP_OBJ, perm: 5 }, { tag: ACL_OTHER, perm: 5 },
 * ]);
 * ```
 */
export function encodeAcl(entries: readonly AclEntry[]): Uint8Array {
  const out = new Uint8Array(4 + 8 * entries.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 2, true);
  entries.forEach((entry, i) => {
    const at = 4 + 8 * i;
    view.setUint16(at, entry.tag, true);
    view.setUint16(at + 2, entry.perm, true);
    const named = entry.tag === ACL_USER || entry.tag === ACL_GROUP;
    view.setUint32(at + 4, named ? entry.id ?? 0 : ACL_UNDEFINED_ID, true);
  });
  return out;
}

/**
 * An extended access ACL agreeing with `mode`: owner, mask and other
 * permissions are the mode's three rwx triplets, so setting it leaves the
 * mode unchanged (the kernel rewrites the mode from an access ACL). At least
 * one named entry is always included, because the kernel drops an access ACL
 * that the mode alone can express.
 */
export function accessAclForMode(
  mode: number,
  users: readonly [id: number, perm: number][],
  groups: readonly [id: number, perm: number][],
  groupObjPerm: number,
): Uint8Array {
  if (users.length + groups.length === 0) throw new Error("an extended ACL needs a named entry");
  return encodeAcl([
    { tag: ACL_USER_OBJ, perm: (mode >> 6) & 7 },
    ...sortById(users).map(([id, perm]) => ({ tag: ACL_USER, perm, id })),
    { tag: ACL_GROUP_OBJ, perm: groupObjPerm & 7 },
    ...sortById(groups).map(([id, perm]) => ({ tag: ACL_GROUP, perm, id })),
    { tag: ACL_MASK, perm: (mode >> 3) & 7 },
    { tag: ACL_OTHER, perm: mode & 7 },
  ]);
}

/** A default ACL (directories only) with the given permissions and named entries. */
export function defaultAcl(
  owner: number,
  groupObj: number,
  other: number,
  users: readonly [id: number, perm: number][],
  groups: readonly [id: number, perm: number][],
  mask = 7,
): Uint8Array {
  const named = users.length + groups.length > 0;
  return encodeAcl([
    { tag: ACL_USER_OBJ, perm: owner & 7 },
    ...sortById(users).map(([id, perm]) => ({ tag: ACL_USER, perm, id })),
    { tag: ACL_GROUP_OBJ, perm: groupObj & 7 },
    ...sortById(groups).map(([id, perm]) => ({ tag: ACL_GROUP, perm, id })),
    // The kernel requires a mask exactly when there are named entries.
    ...(named ? [{ tag: ACL_MASK, perm: mask & 7 }] : []),
    { tag: ACL_OTHER, perm: other & 7 },
  ]);
}

function sortById(entries: readonly [number, number][]): [number, number][] {
  const seen = new Set<number>();
  return [...entries]
    .filter(([id]) => (seen.has(id) ? false : (seen.add(id), true)))
    .sort((a, b) => a[0] - b[0]);
}
