/**
 * Payment references: the short code a customer writes in a bank transfer, e.g. `CN0K3W7`.
 * Prefix letters, a per-tenant number in Crockford base 32 (no I, L, O, U: nothing to misread),
 * and a Luhn mod-32 check character that catches any single wrong character and most swaps of
 * neighbours. Bank descriptions in Vietnam lose diacritics, case and spacing and get truncated,
 * so the code is short, ASCII, and found again whatever spaces, dashes or case were added.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));
// Crockford's decoding of look-alikes.
VALUE.set('O', 0); VALUE.set('I', 1); VALUE.set('L', 1);

function luhnCheck(body: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    let addend = factor * VALUE.get(body[i])!;
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / 32) + (addend % 32);
    sum += addend;
  }
  return ALPHABET[(32 - (sum % 32)) % 32];
}

/** Reference number `n` (1, 2, …) of a tenant, with at least 5 base-32 digits. */
export function paymentReference(prefix: string, n: number): string {
  let digits = '';
  let rest = n;
  do {
    digits = ALPHABET[rest % 32] + digits;
    rest = Math.floor(rest / 32);
  } while (rest > 0);
  const body = digits.padStart(5, '0');
  return `${prefix}${body}${luhnCheck(prefix.replace(/[^0-9A-Z]/g, '') + body)}`;
}

export function isValidPaymentReference(ref: string, prefix: string): boolean {
  const clean = normalise(ref);
  if (!clean.startsWith(prefix) || clean.length < prefix.length + 6) return false;
  const body = clean.slice(prefix.length, -1);
  if ([...body].some((c) => !VALUE.has(c))) return false;
  const canonical = [...body].map((c) => ALPHABET[VALUE.get(c)!]).join('');
  return luhnCheck(prefix + canonical) === ALPHABET[VALUE.get(clean.at(-1)!) ?? -1];
}

function normalise(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase().replace(/[\s\-_.\/]/g, '');
}

/**
 * Every valid payment reference found in a free text (a bank line's description), in canonical
 * form. Spaces, dashes, dots and case inside the code are ignored.
 */
export function findPaymentReferences(text: string, prefix: string): string[] {
  const clean = normalise(text);
  const found = new Set<string>();
  let at = clean.indexOf(prefix);
  while (at >= 0) {
    for (let len = prefix.length + 6; len <= prefix.length + 10 && at + len <= clean.length; len++) {
      const candidate = clean.slice(at, at + len);
      if (isValidPaymentReference(candidate, prefix)) {
        const body = [...candidate.slice(prefix.length, -1)].map((c) => ALPHABET[VALUE.get(c)!]).join('');
        found.add(prefix + body + ALPHABET[VALUE.get(candidate.at(-1)!)!]);
      }
    }
    at = clean.indexOf(prefix, at + 1);
  }
  return [...found];
}

/** A character's part of the Luhn sum: its value times its factor, digits of the product in base 32 added. */
const addend = (value: number, factor: number): number => { const x = value * factor; return Math.floor(x / 32) + (x % 32); };
/** The value whose addend is a given number, per factor (both maps are one-to-one on 0..31). */
const VALUE_OF_ADDEND = [1, 2].map((f) => { const m = new Array<number>(32); for (let v = 0; v < 32; v++) m[addend(v, f)] = v; return m; });

/**
 * Valid references one typing slip away from a code-like part of the text that fails its check
 * character (one character changed, or two neighbours swapped): candidates for a suggestion,
 * never for an automatic match. A whole reference (check character included) sums to 0 mod 32,
 * so for each position exactly one value repairs it: found by arithmetic, not by trying all 32.
 */
export function nearPaymentReferences(text: string, prefix: string): string[] {
  const clean = normalise(text);
  const exact = new Set(findPaymentReferences(text, prefix));
  const near = new Set<string>();
  const prefixValues = [...prefix].map((c) => VALUE.get(c) ?? 0);
  let at = clean.indexOf(prefix);
  while (at >= 0) {
    for (let len = prefix.length + 6; len <= prefix.length + 10 && at + len <= clean.length; len++) {
      const token = clean.slice(at + prefix.length, at + len);
      if ([...token].some((c) => !VALUE.has(c))) break;
      const values = [...prefixValues, ...[...token].map((c) => VALUE.get(c)!)];
      const factors = values.map((_, i) => ((values.length - 1 - i) % 2 === 0 ? 1 : 2));
      const parts = values.map((v, i) => addend(v, factors[i]));
      const sum = parts.reduce((a, b) => a + b, 0);
      if (sum % 32 === 0) continue;
      const add = (vs: number[]) => {
        const candidate = prefix + vs.slice(prefix.length).map((v) => ALPHABET[v]).join('');
        if (!exact.has(candidate)) near.add(candidate);
      };
      for (let i = prefix.length; i < values.length; i++) {
        const want = (((parts[i] - sum) % 32) + 32) % 32;
        add(values.map((v, j) => (j === i ? VALUE_OF_ADDEND[factors[i] - 1][want] : v)));
        if (i + 1 < values.length && values[i] !== values[i + 1]) {
          const swapped = sum - parts[i] - parts[i + 1] + addend(values[i + 1], factors[i]) + addend(values[i], factors[i + 1]);
          if (swapped % 32 === 0) add(values.map((v, j) => (j === i ? values[i + 1] : j === i + 1 ? values[i] : v)));
        }
      }
    }
    at = clean.indexOf(prefix, at + 1);
  }
  return [...near];
}
