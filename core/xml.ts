/**
 * XML read defensively (bank statements, e-invoices — files a tenant sends): no DTD (so no entity expansion), nesting depth, element
 * and attribute counts bounded by a first linear scan (before fast-xml-parser builds anything:
 * its validator and parser are not made for hostile sizes), well-formedness checked next so a
 * broken file is reported with its line and column, every value kept as text (an account 0011001234567 keeps its zeros, amounts stay exact), namespaces
 * dropped. Elements are reached through `XmlElement`, which knows its path for messages
 * (`Document/BkToCstmrStmt/Stmt[2]/Ntry[3]/Amt`).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { badRequest, type ProblemError } from './errors.js';

/** A 400 naming the body, `where` (a line, a column) first. */
function fail(where: string, message: string): ProblemError {
  return badRequest(where ? `${where}: ${message}` : message, 'body');
}

/** camt nests about 12 levels (Document/…/Ntry/NtryDtls/TxDtls/RltdPties/Dbtr/Pty/PstlAdr/AdrLine). */
export const MAX_XML_DEPTH = 64;
/** A real 20 MB camt.053 (MAX_FILE_BYTES) has about 300,000 elements. */
export const MAX_XML_ELEMENTS = 1_000_000;
/** camt carries an attribute on amounts (Ccy) and little else; attributes cost the parser the most. */
export const MAX_XML_ATTRIBUTES = 250_000;

type Node = { [name: string]: Value[] | string | undefined };
type Value = Node | string;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (all, name: string) => {
    if (name[0] !== '#') return ENTITIES[name];
    const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : all;
  });
}

export class XmlElement {
  constructor(readonly node: Value, readonly path: string) {}

  /** Every child element of that name, in document order. */
  all(name: string): XmlElement[] {
    if (typeof this.node === 'string') return [];
    const list = this.node[name];
    if (!Array.isArray(list)) return [];
    return list.map((v, i) => new XmlElement(v, `${this.path ? `${this.path}/` : ''}${name}${list.length > 1 ? `[${i + 1}]` : ''}`));
  }

  /** The first element along a path of child names. */
  at(...names: string[]): XmlElement | undefined {
    let el: XmlElement | undefined = this;
    for (const n of names) {
      el = el.all(n)[0];
      if (!el) return undefined;
    }
    return el;
  }

  /** The element's own text, trimmed, entities decoded ('' for an empty element). */
  get text(): string {
    const raw = typeof this.node === 'string' ? this.node : typeof this.node['#text'] === 'string' ? this.node['#text'] : '';
    return decodeEntities(raw).trim();
  }

  /** Text of the element at a path below this one; undefined when absent or blank. */
  textAt(...names: string[]): string | undefined {
    const t = this.at(...names)?.text;
    return t === undefined || t === '' ? undefined : t;
  }

  attr(name: string): string | undefined {
    if (typeof this.node === 'string') return undefined;
    const v = this.node[`@${name}`];
    return typeof v === 'string' ? decodeEntities(v).trim() : undefined;
  }
}

interface Shape { depth: number; elements: number; attributes: number; /** Where the count stopped. */ at: number }

/**
 * Depth, elements and attributes of a document, counted in one pass with `indexOf` (comments,
 * CDATA and processing instructions skipped, quoted attribute values stepped over), stopping at
 * the first limit passed. Malformed markup ends the count; the validator then reports it.
 */
function shapeOf(text: string): Shape {
  let depth = 0;
  const shape: Shape = { depth: 0, elements: 0, attributes: 0, at: 0 };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    const skip = text.startsWith('<!--', lt) ? '-->' : text.startsWith('<![CDATA[', lt) ? ']]>' : text.startsWith('<?', lt) ? '?>' : text.startsWith('<!', lt) ? '>' : undefined;
    if (skip) {
      const end = text.indexOf(skip, lt + 2);
      if (end < 0) break;
      i = end + skip.length;
      continue;
    }
    const closing = text[lt + 1] === '/';
    // Up to the '>' that ends the tag, stepping over quoted values (which may hold '>').
    let j = lt + 1;
    let attributes = 0;
    for (; j < n; j++) {
      const c = text[j];
      if (c === '>') break;
      if (c === '"' || c === "'") {
        const q = text.indexOf(c, j + 1);
        if (q < 0) return shape;
        j = q;
      } else if (c === '=') attributes++;
    }
    if (j >= n) break;
    i = j + 1;
    if (closing) {
      depth--;
      continue;
    }
    shape.elements++;
    shape.attributes += attributes;
    if (text[j - 1] !== '/') shape.depth = Math.max(shape.depth, ++depth);
    if (shape.depth > MAX_XML_DEPTH || shape.elements > MAX_XML_ELEMENTS || shape.attributes > MAX_XML_ATTRIBUTES) {
      shape.at = lt;
      break;
    }
  }
  return shape;
}

/** 1-based line of a position (CRLF, LF and CR each end a line). */
function lineOf(text: string, at: number): number {
  let line = 1;
  for (let k = 0; k < at; k++) {
    const c = text.charCodeAt(k);
    if (c === 10 || (c === 13 && text.charCodeAt(k + 1) !== 10)) line++;
  }
  return line;
}

export function readXml(text: string): XmlElement {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw fail('', 'XML with a DOCTYPE or entity declarations is not accepted');
  const shape = shapeOf(text);
  const at = () => `line ${lineOf(text, shape.at)}`;
  if (shape.depth > MAX_XML_DEPTH) throw fail(at(), `the XML is nested more than ${MAX_XML_DEPTH} levels deep`);
  if (shape.elements > MAX_XML_ELEMENTS) throw fail(at(), `the XML has more than ${MAX_XML_ELEMENTS} elements`);
  if (shape.attributes > MAX_XML_ATTRIBUTES) throw fail(at(), `the XML has more than ${MAX_XML_ATTRIBUTES} attributes`);
  const checked = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (checked !== true) {
    const at = checked.err.line ? `line ${checked.err.line}, column ${checked.err.col}` : '';
    throw fail(at, `the XML is not well-formed: ${checked.err.msg}`);
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    trimValues: true,
    isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  });
  let root: Node;
  try {
    root = parser.parse(text) as Node;
  } catch (err) {
    throw fail('', `the XML cannot be read: ${(err as Error).message}`);
  }
  return new XmlElement(root, '');
}
