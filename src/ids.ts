// How ctrdoc shows an id to a person: containerd's 64-hex ids cut to crictl's 13 characters;
// ids that people made by hand (a runc container named ctrdoc-fault-stuck-…) shown whole.

export const SHORT_ID_LENGTH = 13;

export function shortId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, SHORT_ID_LENGTH) : id;
}
