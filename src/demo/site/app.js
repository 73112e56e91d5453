/* global document, performance, fetch */
// Fills in how this page reached you: the server's view (/api/info) and the browser's (Navigation Timing).
const show = (id, text) => {
  const el = document.getElementById(id);
  if (el !== null) el.textContent = text;
};
const nav = performance.getEntriesByType('navigation')[0];
if (nav !== undefined && nav.nextHopProtocol !== '') show('browser-protocol', nav.nextHopProtocol);
fetch('/api/info', { cache: 'no-store' })
  .then((r) => r.json())
  .then((info) => {
    show('protocol', info.protocol);
    show('port', `${info.port}/${info.portType}`);
  })
  .catch((err) => {
    show('protocol', `unknown (${err})`);
  });
