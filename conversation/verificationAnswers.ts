/**
 * Reading verification answers as people type them. Only year-first dates are accepted: "03/04/1985"
 * means different days in China and the US, and a wrong guess would count as a failed attempt.
 */
const FULLWIDTH = /[０-９]/g;
const halfWidth = (s: string) => s.replace(FULLWIDTH, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));

export function readLast4(text: string): string | null {
  const runs = halfWidth(text).match(/\d+/g) ?? [];
  const four = runs.filter((r) => r.length === 4);
  return four.length === 1 ? four[0]! : null;
}

export function readDateOfBirth(text: string): string | null {
  const s = halfWidth(text).trim();
  const m =
    s.match(/(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号號]?/) ?? s.match(/(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)/);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${String(y)}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
