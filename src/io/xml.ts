/**
 * A small, tolerant XML reader for the SPE 3.0 footer (no dependency). It builds a tree of elements with
 * namespace prefixes stripped from element and attribute names, decodes the five named entities and numeric
 * character references, skips comments, processing instructions and DOCTYPE, keeps CDATA as text, and
 * recovers from mismatched closing tags instead of throwing. It is not a validating parser: it is meant to read
 * what LightField (and other tools) write, including UTF-8 non-ASCII text.
 */
export interface XmlElement {
  /** Local name (prefix stripped), e.g. "DataBlock". */
  name: string;
  /** Attributes by local name (prefix stripped; a later duplicate does not overwrite an earlier one). */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element. */
  text: string;
}

function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i >= 0 ? qname.slice(i + 1) : qname;
}

export function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) {
    return s;
  }
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_m, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        try {
          return String.fromCodePoint(code);
        } catch {
          return '';
        }
      }
    }
  });
}

const ATTR_RE = /([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g;

/** Parse XML text into a tree under a synthetic root named "#document". Never throws on malformed input. */
export function parseXml(src: string): XmlElement {
  const doc: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [doc];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const lt = src.indexOf('<', i);
    const top = stack[stack.length - 1];
    if (lt < 0) {
      top.text += decodeEntities(src.slice(i));
      break;
    }
    if (lt > i) {
      top.text += decodeEntities(src.slice(i, lt));
    }
    if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt + 4);
      i = end < 0 ? n : end + 3;
    } else if (src.startsWith('<![CDATA[', lt)) {
      const end = src.indexOf(']]>', lt + 9);
      top.text += src.slice(lt + 9, end < 0 ? n : end);
      i = end < 0 ? n : end + 3;
    } else if (src.startsWith('<?', lt)) {
      const end = src.indexOf('?>', lt + 2);
      i = end < 0 ? n : end + 2;
    } else if (src.startsWith('<!', lt)) {
      const end = src.indexOf('>', lt + 2);
      i = end < 0 ? n : end + 1;
    } else if (src[lt + 1] === '/') {
      const end = src.indexOf('>', lt + 2);
      const name = localName(src.slice(lt + 2, end < 0 ? n : end).trim());
      // pop to the matching open element, if any (tolerates a missing close tag)
      for (let k = stack.length - 1; k > 0; k--) {
        if (stack[k].name === name) {
          stack.length = k;
          break;
        }
      }
      i = end < 0 ? n : end + 1;
    } else {
      // start tag: find its end, honouring quoted attribute values that may contain '>'
      let j = lt + 1;
      let quote = '';
      while (j < n) {
        const c = src[j];
        if (quote) {
          if (c === quote) {
            quote = '';
          }
        } else if (c === '"' || c === "'") {
          quote = c;
        } else if (c === '>') {
          break;
        }
        j++;
      }
      const body = src.slice(lt + 1, j);
      const selfClosing = body.endsWith('/');
      const inner = selfClosing ? body.slice(0, -1) : body;
      const m = /^[^\s/>]+/.exec(inner);
      if (m) {
        const el: XmlElement = { name: localName(m[0]), attrs: {}, children: [], text: '' };
        ATTR_RE.lastIndex = m[0].length;
        let a: RegExpExecArray | null;
        while ((a = ATTR_RE.exec(inner)) !== null) {
          const key = localName(a[1]);
          if (!(key in el.attrs)) {
            el.attrs[key] = decodeEntities(a[3] ?? a[4] ?? '');
          }
        }
        top.children.push(el);
        if (!selfClosing) {
          stack.push(el);
        }
      }
      i = j + 1;
    }
  }
  return doc;
}

/** First element (depth-first, document order) named `name` for which `pred` holds. */
export function findFirst(root: XmlElement, name: string, pred?: (e: XmlElement) => boolean): XmlElement | null {
  for (const c of root.children) {
    if (c.name === name && (!pred || pred(c))) {
      return c;
    }
    const r = findFirst(c, name, pred);
    if (r) {
      return r;
    }
  }
  return null;
}

/** All elements named `name` (document order). */
export function findAll(root: XmlElement, name: string, pred?: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.name === name && (!pred || pred(c))) {
        out.push(c);
      }
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** All text inside an element and its descendants. */
export function deepText(e: XmlElement): string {
  let s = e.text;
  for (const c of e.children) {
    s += deepText(c);
  }
  return s;
}
