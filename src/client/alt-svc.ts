/**
 * The part of an Alt-Svc field value (RFC 7838 §3) the client uses: the first `h3` alternative on the
 * same host, with its freshness (`ma`, default 24 hours, RFC 7838 §3.1), or `clear`.
 *
 *   Alt-Svc       = clear / 1#alt-value
 *   alt-value     = alternative *( OWS ";" OWS parameter )
 *   alternative   = protocol-id "=" alt-authority        ; alt-authority is a quoted-string
 *   parameter     = token "=" ( token / quoted-string )
 */

/** An HTTP/3 alternative for the origin that sent the field. */
export interface AltSvcH3 {
  readonly port: number;
  /** Freshness lifetime in seconds (`ma`). */
  readonly maxAgeSec: number;
}

/** RFC 7838 §3.1: `ma` defaults to 24 hours. */
const DEFAULT_MAX_AGE_SEC = 86400;

/**
 * Parses an Alt-Svc value: `'clear'` for `clear`, the first same-host `h3` alternative, or undefined.
 * Alternatives on another host are skipped (the client keeps connections to the origin's own host).
 * Malformed members are skipped, never thrown on: the field is advisory (RFC 7838 §3).
 */
export function parseAltSvc(value: string): AltSvcH3 | 'clear' | undefined {
  if (value.trim() === 'clear') return 'clear';
  for (const member of splitOutsideQuotes(value, ',')) {
    const params = splitOutsideQuotes(member, ';');
    const alt = params[0]!.trim();
    const eq = alt.indexOf('=');
    if (eq < 0) continue;
    // RFC 7838 §3: protocol-id is an ALPN id, percent-encoded; "h3" needs no encoding.
    if (alt.slice(0, eq).trim() !== 'h3') continue;
    const authority = unquote(alt.slice(eq + 1).trim());
    const colon = authority.lastIndexOf(':');
    if (colon !== 0) continue;
    const portText = authority.slice(colon + 1);
    const port = Number(portText);
    if (portText === '' || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    let maxAgeSec = DEFAULT_MAX_AGE_SEC;
    for (let i = 1; i < params.length; i++) {
      const p = params[i]!;
      const k = p.indexOf('=');
      if (k < 0 || p.slice(0, k).trim().toLowerCase() !== 'ma') continue;
      const v = Number(unquote(p.slice(k + 1).trim()));
      if (Number.isSafeInteger(v) && v >= 0) maxAgeSec = v;
    }
    return { port, maxAgeSec };
  }
  return undefined;
}

function unquote(s: string): string {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return s;
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    if (s[i] === '\\' && i + 1 < s.length - 1) i++;
    out += s.charAt(i);
  }
  return out;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  let isQuoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && isQuoted) i++;
    else if (c === '"') isQuoted = !isQuoted;
    else if (c === sep && !isQuoted) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}
