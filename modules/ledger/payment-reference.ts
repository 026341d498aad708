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
