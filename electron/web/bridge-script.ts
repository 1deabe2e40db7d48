/**
 * The browser shell's `window.api`, as script text served at /web-bridge.js. It builds exactly the AppApi from the
 * channel table (like the preload does), sending each call to the local shell with the per-run token, and reads
 * job events from a streamed NDJSON response. `sheets.openDialog` opens the browser's own file picker.
 */
export function bridgeScriptText(channels: Record<string, string>): string {
  return `(() => {
  'use strict';
  const CHANNELS = ${JSON.stringify(channels)};
  const fromHash = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (fromHash) { sessionStorage.setItem('b24token', fromHash[1]); history.replaceState(null, '', location.pathname); }
  const token = sessionStorage.getItem('b24token') || '';
  const enc = (v) => {
    if (v instanceof Uint8Array) { let s = ''; for (let i = 0; i < v.length; i += 0x8000) s += String.fromCharCode.apply(null, v.subarray(i, i + 0x8000)); return { __u8: btoa(s) }; }
    if (Array.isArray(v)) return v.map(enc);
    if (v && typeof v === 'object') { const o = {}; for (const k of Object.keys(v)) o[k] = enc(v[k]); return o; }
    return v;
  };
  const invoke = async (channel, payload) => {
    try {
      const res = await fetch('./api/invoke/' + encodeURIComponent(channel), { method: 'POST', headers: { 'content-type': 'application/json', 'x-b24-token': token }, body: JSON.stringify(payload === undefined ? null : enc(payload)) });
      return await res.json();
    } catch (e) {
      return { ok: false, error: { code: 'NETWORK', message: 'The app\\'s local service is not running. Start the app again.', messageRu: 'Локальная служба приложения не запущена. Запустите приложение снова.' } };
    }
  };
  const api = {};
  for (const path of Object.keys(CHANNELS)) {
    const [ns, fn] = path.split('.');
    api[ns] = api[ns] || {};
    api[ns][fn] = (payload) => invoke(CHANNELS[path], payload);
  }
  api.sheets.openDialog = () => new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file'; input.accept = '.csv,.tsv,.txt,.xlsx,.xlsm,.xls,.ods,text/csv,text/plain';
    input.onchange = async () => {
      const f = input.files && input.files[0];
      if (!f) return resolve({ ok: true, value: null });
      resolve(await api.sheets.import({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }));
    };
    input.addEventListener('cancel', () => resolve({ ok: true, value: null }));
    input.click();
  });
  const listeners = new Set();
  (async function stream() {
    for (;;) {
      try {
        const res = await fetch('./api/events', { headers: { 'x-b24-token': token } });
        const reader = res.body.getReader(); const dec = new TextDecoder(); let buf = '';
        for (;;) {
          const { value, done } = await reader.read(); if (done) break;
          buf += dec.decode(value, { stream: true });
          let i; while ((i = buf.indexOf('\\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); if (line) { const ev = JSON.parse(line); listeners.forEach((l) => l(ev)); } }
        }
      } catch (e) { /* the shell restarted or stopped: retry */ }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  api.events = { onJobEvent: (l) => { listeners.add(l); return () => listeners.delete(l); } };
  api.files = { pathForFile: () => '' };
  for (const k of Object.keys(api)) Object.freeze(api[k]);
  Object.defineProperty(window, 'api', { value: Object.freeze(api), writable: false, configurable: false });
})();
`
}
