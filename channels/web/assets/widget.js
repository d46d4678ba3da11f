// The chat widget: put
//   <script src="https://YOUR-HOST/chat/widget.js" async></script>
// on a page and a chat button appears in its corner; it opens the chat in
// an iframe of /chat/?embed=1. data-label and data-color on the script tag
// change the button's label and colour. Ours, no libraries, no cookies of
// the host page touched.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__allmyleadsWidget) { return; }
  window.__allmyleadsWidget = true;
  var base = new URL('.', script.src);
  var label = script.getAttribute('data-label') || 'Chat with us';
  var color = script.getAttribute('data-color') || '#0f6b62';

  function css(el, styles) { for (var k in styles) { el.style[k] = styles[k]; } }

  var button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-label', label);
  button.setAttribute('aria-expanded', 'false');
  button.title = label;
  button.innerHTML = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false" fill="currentColor">' +
    '<path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-4 4V5a2 2 0 0 1 0-2Zm3 6v2h10V9H7Zm0-3v2h10V6H7Zm0 6v2h7v-2H7Z"/></svg>';
  css(button, {
    position: 'fixed', right: '20px', bottom: '20px', zIndex: '2147483000',
    width: '60px', height: '60px', borderRadius: '50%', border: '0', cursor: 'pointer',
    background: color, color: '#fff', boxShadow: '0 4px 14px rgba(0,0,0,.25)',
    display: 'grid', placeItems: 'center', padding: '0'
  });

  var frame = null;
  function place() {
    if (!frame) { return; }
    var small = window.innerWidth < 520;
    css(frame, small
      ? { right: '0', bottom: '0', width: '100%', height: '100%', borderRadius: '0' }
      : { right: '20px', bottom: '92px', width: '380px', height: 'min(620px, calc(100vh - 120px))', borderRadius: '14px' });
    button.style.display = small && frame.style.display !== 'none' ? 'none' : 'grid';
  }
  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.src = new URL('?embed=1', base).href;
      frame.title = label;
      frame.setAttribute('allow', 'clipboard-write');
      css(frame, {
        position: 'fixed', zIndex: '2147483001', border: '0', background: '#fff',
        boxShadow: '0 8px 30px rgba(0,0,0,.3)'
      });
      document.body.appendChild(frame);
    }
    frame.style.display = 'block';
    button.setAttribute('aria-expanded', 'true');
    place();
    frame.focus();
  }
  function close() {
    if (!frame) { return; }
    frame.style.display = 'none';
    button.setAttribute('aria-expanded', 'false');
    place();
    button.focus();
  }
  button.addEventListener('click', function () {
    if (frame && frame.style.display !== 'none') { close(); } else { open(); }
  });
  window.addEventListener('message', function (e) {
    if (e.origin === base.origin && e.data && e.data.type === 'allmyleads:close') { close(); }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && frame && frame.style.display !== 'none') { close(); }
  });
  window.addEventListener('resize', place);
  function mount() { document.body.appendChild(button); }
  if (document.body) { mount(); } else { document.addEventListener('DOMContentLoaded', mount); }
})();
