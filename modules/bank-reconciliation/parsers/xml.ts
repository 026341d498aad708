/**
 * XML read defensively for bank files: no DTD (so no entity expansion), well-formedness checked
 * first so a broken file is reported with its line and column, a bounded nesting depth, every
 * value kept as text (an account 0011001234567 keeps its zeros, amounts stay exact), namespaces
 * dropped. Elements are reached through `XmlElement`, which knows its path for messages
 * (`Document/BkToCstmrStmt/Stmt[2]/Ntry[3]/Amt`).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fail } from './common.js';

const MAX_DEPTH = 64;

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

/** Nesting depth of a well-formed document, counted on its tags. */
function depthOf(text: string): number {
  let depth = 0;
  let max = 0;
  for (const m of text.matchAll(/<(\/?)([A-Za-z_][^\s/>]*)[^>]*?(\/?)>/g)) {
    if (m[1]) depth--;
    else if (!m[3]) max = Math.max(max, ++depth);
  }
  return max;
}

export function readXml(text: string): XmlElement {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw fail('', 'XML with a DOCTYPE or entity declarations is not accepted');
  const checked = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (checked !== true) {
    const at = checked.err.line ? `line ${checked.err.line}, column ${checked.err.col}` : '';
    throw fail(at, `the XML is not well-formed: ${checked.err.msg}`);
  }
  if (depthOf(text) > MAX_DEPTH) throw fail('', `the XML is nested more than ${MAX_DEPTH} levels deep`);
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
