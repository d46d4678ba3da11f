// The web chat page: posts the visitor's messages and photos, reads the
// bot's messages as server-sent events, shows each outbox id once and
// acknowledges it, and keeps the transcript in this browser. Ours, no
// libraries.
(function () {
  'use strict';

  var body = document.body;
  var prefix = body.dataset.prefix || '/chat/';
  var api = prefix + 'api/';
  var business = body.dataset.business || '';
  var storeKey = 'allmyleads.chat';
  var maxKept = 200;
  var maxPhoto = 5 * 1024 * 1024;
  var photoTypes = ['image/jpeg', 'image/png', 'image/webp'];

  var log = document.getElementById('log');
  var form = document.getElementById('composer');
  var text = document.getElementById('text');
  var send = document.getElementById('send');
  var attach = document.getElementById('attach');
  var photo = document.getElementById('photo');
  var statusEl = document.getElementById('status');
  var errorEl = document.getElementById('error');
  var closeBtn = document.getElementById('close');

  // --- what this browser keeps: the token and the transcript ---
  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(storeKey) || 'null');
      if (s && typeof s === 'object' && Array.isArray(s.items)) { return s; }
    } catch (e) { /* storage off or broken: start afresh */ }
    return { token: '', items: [], seen: [] };
  }
  function save() {
    state.items = state.items.slice(-maxKept);
    state.seen = state.seen.slice(-maxKept * 2);
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }
  var state = load();
  var pageToken = body.dataset.token;
  var token = state.token || pageToken;
  state.token = token;
  var seen = {};
  state.seen.forEach(function (id) { seen[id] = true; });

  function headers(extra) {
    var h = { 'Authorization': 'Bearer ' + token };
    for (var k in extra) { h[k] = extra[k]; }
    return h;
  }

  // A token this server does not accept (another server, a new secret):
  // forget it and use the one the page came with, once.
  function badToken() {
    if (token !== pageToken) {
      token = pageToken;
      state = { token: token, items: [], seen: [] };
      seen = {};
      save();
      clearLog();
      return true;
    }
    showError('Your chat session has expired. Reload the page to start again.');
    return false;
  }

  // --- showing messages ---
  function clearLog() {
    Array.prototype.slice.call(log.querySelectorAll('.msg')).forEach(function (n) { n.remove(); });
  }
  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // format writes text with *bold*, _italic_ and links, never as HTML.
  function format(el, s) {
    var re = /(https?:\/\/[^\s<]+[^\s<.,;:!?)\]'"])|\*([^*\n]+)\*|_([^_\n]+)_/g;
    var last = 0, m;
    while ((m = re.exec(s)) !== null) {
      if (m.index > last) { el.appendChild(document.createTextNode(s.slice(last, m.index))); }
      var node;
      if (m[1]) {
        node = document.createElement('a');
        node.href = m[1];
        node.target = '_blank';
        node.rel = 'noopener noreferrer';
        node.textContent = m[1];
      } else if (m[2]) {
        node = document.createElement('strong');
        node.textContent = m[2];
      } else {
        node = document.createElement('em');
        node.textContent = m[3];
      }
      el.appendChild(node);
      last = re.lastIndex;
    }
    if (last < s.length) { el.appendChild(document.createTextNode(s.slice(last))); }
  }

  function bubble(who) {
    var wrap = document.createElement('div');
    wrap.className = 'msg ' + who;
    var b = document.createElement('div');
    b.className = 'bubble';
    wrap.appendChild(b);
    return wrap;
  }

  // The typing dots show while an answer is awaited: from a message sent
  // until the bot's next message, for 20 s at most.
  var typing = null;
  var typingTimer = null;
  function showTyping(on) {
    clearTimeout(typingTimer);
    if (on) { typingTimer = setTimeout(function () { showTyping(false); }, 20000); }
    if (on && !typing) {
      typing = document.createElement('div');
      typing.className = 'typing';
      typing.setAttribute('aria-hidden', 'true');
      typing.innerHTML = '<span></span><span></span><span></span>';
      log.appendChild(typing);
      scrollDown();
    } else if (!on && typing) {
      typing.remove();
      typing = null;
    }
  }

  // Only the latest question's buttons can be pressed.
  function disableOldChoices() {
    Array.prototype.slice.call(log.querySelectorAll('.choice')).forEach(function (b) { b.disabled = true; });
  }

  function renderBot(m, live) {
    var wrap = bubble('bot');
    var b = wrap.firstChild;
    var label = business ? business + ' says' : 'Bot says';
    if (m.media) {
      b.classList.add('photo');
      if (m.kind === 'image') {
        var img = document.createElement('img');
        img.src = m.media.url;
        img.alt = m.media.caption || 'Image from ' + (business || 'the business');
        b.appendChild(img);
      } else {
        var a = document.createElement('a');
        a.href = m.media.url;
        a.download = m.media.filename || '';
        a.textContent = '📄 ' + (m.media.filename || 'Download the file');
        b.appendChild(a);
      }
      if (m.media.caption) {
        var c = document.createElement('div');
        c.className = 'caption';
        format(c, m.media.caption);
        b.appendChild(c);
      }
    }
    if (m.text) { format(b, m.text); }
    b.setAttribute('aria-label', label + ': ' + (m.text || (m.media && m.media.caption) || ''));
    if (m.options && m.options.length) {
      disableOldChoices();
      var group = document.createElement('div');
      group.className = 'choices' + (m.kind === 'list' ? ' list' : '');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', m.button || 'Choose an answer');
      m.options.forEach(function (o) {
        var btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'choice';
        btn.textContent = o.title;
        if (o.description) {
          var d = document.createElement('small');
          d.textContent = o.description;
          btn.appendChild(d);
        }
        btn.disabled = !live || !!m.answered;
        if (m.answered === o.id) { btn.setAttribute('aria-pressed', 'true'); }
        btn.addEventListener('click', function () { choose(m, o, group, btn); });
        group.appendChild(btn);
      });
      wrap.appendChild(group);
    }
    showTyping(false);
    log.appendChild(wrap);
    scrollDown();
  }

  function renderMine(item) {
    var wrap = bubble('me');
    var b = wrap.firstChild;
    if (item.photo) {
      b.classList.add('photo');
      if (item.src) {
        var img = document.createElement('img');
        img.src = item.src;
        img.alt = 'Your photo' + (item.text ? ': ' + item.text : '');
        b.appendChild(img);
      } else {
        var p = document.createElement('div');
        p.className = 'caption';
        p.textContent = '📷 Photo';
        b.appendChild(p);
      }
      if (item.text) {
        var c = document.createElement('div');
        c.className = 'caption';
        c.textContent = item.text;
        b.appendChild(c);
      }
    } else {
      b.textContent = item.text;
    }
    var note = document.createElement('div');
    note.className = 'note';
    wrap.appendChild(note);
    log.appendChild(wrap);
    scrollDown();
    return note;
  }

  function setNote(note, s, failed, retry) {
    note.textContent = s;
    note.classList.toggle('failed', !!failed);
    if (retry) {
      var r = document.createElement('button');
      r.type = 'button';
      r.textContent = 'Try again';
      r.addEventListener('click', function () { note.parentNode.remove(); retry(); });
      note.appendChild(r);
    }
  }

  function showError(s) {
    errorEl.textContent = s;
    errorEl.hidden = !s;
  }

  // --- talking to the server ---
  function newID() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  // post sends a message and says how it went under its bubble.
  function post(url, init, note, retry) {
    setNote(note, 'Sending…');
    showError('');
    var before = received;
    return fetch(url, init).then(function (res) {
      if (res.ok) {
        setNote(note, '');
        // The answer may have come over the live connection already.
        if (received === before) { showTyping(true); }
        return;
      }
      return res.json().catch(function () { return {}; }).then(function (e) {
        if (res.status === 401 && badToken()) { note.parentNode.remove(); retry(); return; }
        setNote(note, 'Not sent.', true, res.status >= 500 || res.status === 429 ? retry : null);
        showError(e.message || 'The message could not be sent (' + res.status + ').');
      });
    }, function () {
      setNote(note, 'Not sent.', true, retry);
      showError('No connection. Check your network and try again.');
    });
  }

  function sendText(s) {
    var item = { who: 'me', text: s };
    state.items.push(item);
    save();
    var note = renderMine(item);
    var id = newID();
    post(api + 'messages', {
      method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ id: id, text: s })
    }, note, function () { state.items.splice(state.items.indexOf(item), 1); sendText(s); });
  }

  function choose(m, o, group, btn) {
    Array.prototype.slice.call(group.querySelectorAll('.choice')).forEach(function (b) { b.disabled = true; });
    btn.setAttribute('aria-pressed', 'true');
    m.answered = o.id;
    var item = { who: 'me', text: o.title };
    state.items.push(item);
    save();
    var note = renderMine(item);
    post(api + 'messages', {
      method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ id: newID(), reply_id: o.id, reply_title: o.title, list: m.kind === 'list' })
    }, note, function () { sendText(o.title); });
    text.focus();
  }

  function sendPhoto(file) {
    if (photoTypes.indexOf(file.type) < 0) {
      showError('Please choose a photo: a JPEG, PNG or WebP image.');
      return;
    }
    if (file.size > maxPhoto) {
      showError('That photo is ' + (file.size / 1048576).toFixed(1) + ' MB; photos can be up to 5 MB.');
      return;
    }
    var caption = text.value.trim();
    text.value = '';
    grow();
    var item = { who: 'me', photo: true, text: caption };
    state.items.push(item);
    save();
    var shown = Object.assign({ src: URL.createObjectURL(file) }, item);
    var note = renderMine(shown);
    var q = '?id=' + newID() + (caption ? '&caption=' + encodeURIComponent(caption) : '');
    post(api + 'photos' + q, {
      method: 'POST', headers: headers({ 'Content-Type': file.type }), body: file
    }, note, function () { text.value = caption; sendPhoto(file); });
  }

  var acks = [];
  var ackTimer = null;
  function ack(id) {
    acks.push(id);
    if (ackTimer) { return; }
    ackTimer = setTimeout(function () {
      var ids = acks;
      acks = [];
      ackTimer = null;
      fetch(api + 'ack', {
        method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
        body: JSON.stringify({ ids: ids })
      }).catch(function () { /* not acknowledged: the server sends it again */ });
    }, 0);
  }

  var received = 0; // bot messages shown since the page opened
  function receive(m) {
    if (!seen[m.id]) {
      seen[m.id] = true;
      received++;
      state.seen.push(m.id);
      var item = { who: 'bot', id: m.id, kind: m.kind, text: m.text, options: m.options, button: m.button, media: m.media };
      state.items.push(item);
      save();
      renderBot(item, true);
    }
    ack(m.id);
  }

  // The live connection: server-sent events read with fetch, so the token
  // goes in a header; reconnects by itself.
  var started = false;
  var retryIn = 1000;
  function connect() {
    fetch(api + 'events', { headers: headers({ 'Accept': 'text/event-stream' }), cache: 'no-store' }).then(function (res) {
      if (res.status === 401) {
        if (badToken()) { return; }
        throw new Error('unauthorized');
      }
      if (!res.ok || !res.body) { throw new Error('status ' + res.status); }
      statusEl.textContent = 'Online';
      retryIn = 1000;
      if (!started) {
        started = true;
        if (!state.items.length) { begin(); }
      }
      return read(res.body.getReader());
    }).catch(function () { /* reconnect below */ }).then(function () {
      statusEl.textContent = 'Reconnecting…';
      setTimeout(connect, retryIn);
      retryIn = Math.min(retryIn * 2, 15000);
    });
  }

  function read(reader) {
    var dec = new TextDecoder();
    var buf = '';
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) { return; }
        buf += dec.decode(r.value, { stream: true });
        var i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          dispatch(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
        return pump();
      });
    }
    return pump();
  }

  function dispatch(block) {
    var ev = 'message', data = [];
    block.split('\n').forEach(function (line) {
      if (line.indexOf('event:') === 0) { ev = line.slice(6).trim(); }
      else if (line.indexOf('data:') === 0) { data.push(line.slice(5).replace(/^ /, '')); }
    });
    if (ev !== 'message' || !data.length) { return; }
    try { receive(JSON.parse(data.join('\n'))); } catch (e) { /* a message we cannot read */ }
  }

  // begin asks the bot to greet a visitor whose transcript is empty.
  function begin() {
    showTyping(true);
    fetch(api + 'start', { method: 'POST', headers: headers({}) }).then(function (res) {
      if (!res.ok) { showTyping(false); }
    }, function () { showTyping(false); });
  }

  // --- the composer ---
  function grow() {
    text.style.height = 'auto';
    text.style.height = Math.min(text.scrollHeight + 3, 140) + 'px';
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var s = text.value.trim();
    if (!s) { return; }
    text.value = '';
    grow();
    sendText(s);
    text.focus();
  });
  // Enter sends, Shift+Enter starts a new line. The line break an Enter
  // would insert is refused too: some keyboards and drivers type it even
  // when the keydown was cancelled, and it would be left in the box.
  var sending = false;
  text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sending = true;
      form.requestSubmit ? form.requestSubmit() : send.click();
    }
  });
  text.addEventListener('keyup', function (e) { if (e.key === 'Enter') { sending = false; } });
  text.addEventListener('beforeinput', function (e) {
    if (sending && (e.inputType === 'insertLineBreak' || e.inputType === 'insertParagraph')) { e.preventDefault(); }
  });
  text.addEventListener('input', grow);
  attach.addEventListener('click', function () { photo.click(); });
  photo.addEventListener('change', function () {
    if (photo.files && photo.files[0]) { sendPhoto(photo.files[0]); }
    photo.value = '';
  });
  if (closeBtn) {
    var closeChat = function () { window.parent.postMessage({ type: 'allmyleads:close' }, '*'); };
    closeBtn.addEventListener('click', closeChat);
    // Escape closes the embedded chat too: the keys go to the chat's frame,
    // not to the site around it.
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { closeChat(); } });
  }

  // --- start: the kept transcript, then the live connection ---
  var last = state.items.length - 1;
  state.items.forEach(function (item, i) {
    if (item.who === 'bot') { renderBot(item, i === last); } else { renderMine(item); }
  });
  save();
  connect();
})();
