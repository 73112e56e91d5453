/* global document, location, WebSocket, TextEncoder, TextDecoder */
// Opens a WebSocket to /ws/echo and sends a few messages; the results land in the page (and in
// `window.hayateLive` for tests). WebTransport is tried in live-wt.js.
const log = (id, line) => {
  const el = document.getElementById(id);
  if (el !== null) el.textContent += `${line}\n`;
};
const status = (id, text) => {
  const el = document.getElementById(id);
  if (el !== null) el.textContent = text;
};
const results = { ws: { status: 'pending', echoed: [] } };
globalThis.hayateLive = results;

const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/echo`);
ws.binaryType = 'arraybuffer';
const sent = ['hello', 'hayate', 'x'.repeat(70_000)];
ws.onopen = () => {
  status('ws-status', 'open');
  for (const m of sent) ws.send(m);
  ws.send(new TextEncoder().encode('binary'));
};
ws.onmessage = (e) => {
  const text = typeof e.data === 'string' ? e.data : `binary:${new TextDecoder().decode(e.data)}`;
  results.ws.echoed.push(text.length > 40 ? `${text.slice(0, 10)}…(${text.length})` : text);
  log('ws-log', `echo: ${results.ws.echoed.at(-1)}`);
  if (results.ws.echoed.length === sent.length + 1) {
    results.ws.status = 'done';
    status('ws-status', 'all echoed');
    ws.close(1000, 'bye');
  }
};
ws.onerror = () => {
  results.ws.status = 'error';
  status('ws-status', 'error');
};
