/**
 * Field rules shared by every HTTP version (RFC 9110 §5, §7.6.1), so each layer enforces them from one list.
 */

/**
 * True for the connection-specific fields of RFC 9110 §7.6.1 that HTTP/2 and HTTP/3 forbid (RFC 9113
 * §8.2.2, RFC 9114 §4.2): a message carrying one is malformed there, and a server answering for an
 * HTTP/1.1-shaped handler drops them. `name` is lowercase.
 */
export function isConnectionSpecificField(name: string): boolean {
  switch (name) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'transfer-encoding':
    case 'upgrade':
      return true;
    default:
      return false;
  }
}
