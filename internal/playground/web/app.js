// syncbot playground page. The server renders every message, panel and
// row to HTML (Block Kit included) and pushes them over server-sent events;
// this script only swaps those fragments in, sends what the person types or
// clicks, shows dates in the reader's time zone and opens confirm dialogs.
(() => {
  'use strict';

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const people = JSON.parse($('#people').textContent);
  const examples = JSON.parse($('#examples').textContent);
  const timeline = $('#timeline');
  const scroller = $('#scroller');
  const composer = $('#composer');
  const suggest = $('#suggest');

  let me = initialPerson();
  let es = null;
  let offsetMs = 0;
  const sent = []; // commands typed, for ↑
  let recall = -1;

  function initialPerson() {
    const q = new URLSearchParams(location.search).get('as');
    const stored = (() => { try { return localStorage.getItem('syncbot-playground-as'); } catch (_) { return null; } })();
    for (const want of [q, stored]) {
      const p = people.find(p => want && (p.ID === want || p.Name === want));
      if (p) return p.ID;
    }
    return people[0].ID;
  }

  function personName(id) { const p = people.find(p => p.ID === id); return p ? p.Name : id; }

  // ---- who am I ----
  function setPerson(id) {
    me = id;
    try { localStorage.setItem('syncbot-playground-as', id); } catch (_) { /* private mode */ }
    const url = new URL(location.href);
    url.searchParams.set('as', personName(id));
    history.replaceState(null, '', url);
    $$('.person').forEach(b => b.setAttribute('aria-pressed', String(b.dataset.user === id)));
    const p = people.find(p => p.ID === id);
    $('#composer-who').innerHTML = '';
    $('#composer-who').append('You are ', Object.assign(document.createElement('b'), { textContent: p.Name }),
      p.Approver ? ' (an approver)' : '');
    composer.placeholder = 'Message #ops as ' + p.Name + ': try /sync help';
    document.body.dataset.viewer = id;
    delete document.body.dataset.synced;
    connect();
  }

  // ---- live updates ----
  function connect() {
    if (es) es.close();
    const viewer = me;
    es = new EventSource('/events?as=' + encodeURIComponent(viewer));
    es.addEventListener('hello', ev => {
      const h = JSON.parse(ev.data);
      if (h.viewer !== me) return; // a stream for someone we no longer are
      timeline.innerHTML = h.timeline;
      $('#apps').innerHTML = h.apps;
      $('#calls').innerHTML = h.calls;
      $('#controls').innerHTML = h.controls;
      enhance(document);
      scrollToEnd();
      setLive(true);
      document.body.dataset.synced = viewer;
    });
    es.addEventListener('op', ev => {
      for (const op of JSON.parse(ev.data)) apply(op);
    });
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
  }

  function setLive(up) {
    $('#conn-banner').hidden = up;
    const dot = $('#live');
    dot.classList.toggle('down', !up);
    dot.textContent = up ? 'live' : 'reconnecting';
  }

  function apply(op) {
    switch (op.op) {
      case 'append': {
        const stick = nearEnd();
        const box = document.getElementById(op.target);
        if (!box) return;
        box.insertAdjacentHTML('beforeend', op.html);
        const el = box.lastElementChild;
        if (el) enhance(el);
        if (stick || (el && el.dataset.kind === 'command')) scrollToEnd();
        return;
      }
      case 'prepend': {
        const box = document.getElementById(op.target);
        if (!box) return;
        box.insertAdjacentHTML('afterbegin', op.html);
        enhance(box.firstElementChild);
        while (box.children.length > 200) box.lastElementChild.remove();
        return;
      }
      case 'replace': {
        const old = document.getElementById(op.target);
        if (!old) return;
        const stick = nearEnd();
        old.insertAdjacentHTML('afterend', op.html);
        const el = old.nextElementSibling;
        old.remove();
        enhance(el);
        if (op.flash) flash(el);
        if (stick) scrollToEnd();
        return;
      }
      case 'remove': {
        const old = document.getElementById(op.target);
        if (old) old.remove();
        return;
      }
      case 'html': {
        const box = document.getElementById(op.target);
        if (!box) return;
        const before = new Map($$('[data-app]', box).map(r => [r.dataset.app, r.dataset.state]));
        box.innerHTML = op.html;
        enhance(box);
        if (!op.flash) return;
        const rows = $$('[data-app]', box);
        if (!rows.length) { flash(box); return; }
        rows.filter(r => before.get(r.dataset.app) !== r.dataset.state).forEach(flash); // only what changed
        return;
      }
    }
  }

  function flash(el) {
    el.classList.remove('flash');
    void el.offsetWidth; // restart the animation
    el.classList.add('flash');
  }

  function nearEnd() { return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80; }
  function scrollToEnd() { scroller.scrollTop = scroller.scrollHeight; }

  // enhance localises dates and marks mentions of the reader, in fragments
  // that just arrived.
  function enhance(root) {
    if (!root) return;
    const group = $('#clock-group', root.id === 'controls' ? root : document);
    if (group) offsetMs = Number(group.dataset.offsetMs) || 0;
    $$('time.bk-date', root).forEach(t => {
      const d = new Date(Number(t.dataset.ts) * 1000);
      t.textContent = formatDate(t.dataset.format, d);
      t.title = formatDate('{date_long} {time_secs}', d) + ' (your time zone)';
    });
    $$('time.loc-time', root).forEach(t => {
      const d = new Date(Number(t.dataset.ms));
      t.textContent = formatDate(t.dataset.format, d);
      t.title = formatDate('{date_long} {time_secs}', d);
    });
    $$('.bk-mention[data-user]', root).forEach(m => m.classList.toggle('me', m.dataset.user === me));
    tickClock();
  }

  // ---- Slack's <!date^…> tokens, in the reader's own time zone ----
  const botNow = () => new Date(Date.now() + offsetMs);
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  function ordinal(n) {
    const s = ['th', 'st', 'nd', 'rd'], v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }
  function dayDiff(d) {
    const a = new Date(d); a.setHours(0, 0, 0, 0);
    const b = botNow(); b.setHours(0, 0, 0, 0);
    return Math.round((a - b) / 86400000);
  }
  function pretty(d, otherwise) {
    switch (dayDiff(d)) {
      case 0: return 'today';
      case -1: return 'yesterday';
      case 1: return 'tomorrow';
    }
    return otherwise;
  }
  function ago(d) {
    const s = Math.round((botNow() - d) / 1000);
    const abs = Math.abs(s);
    const unit = abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.round(abs / 60), 'minute'] : abs < 86400 ? [Math.round(abs / 3600), 'hour'] : [Math.round(abs / 86400), 'day'];
    const words = unit[0] + ' ' + unit[1] + (unit[0] === 1 ? '' : 's');
    return s >= 0 ? words + ' ago' : 'in ' + words;
  }
  function formatDate(format, d) {
    if (!format || isNaN(d)) return '';
    const pad = n => String(n).padStart(2, '0');
    const tokens = {
      date_num: () => d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()),
      date: () => months[d.getMonth()] + ' ' + ordinal(d.getDate()) + ', ' + d.getFullYear(),
      date_short: () => months[d.getMonth()].slice(0, 3) + ' ' + d.getDate() + ', ' + d.getFullYear(),
      date_long: () => days[d.getDay()] + ', ' + months[d.getMonth()] + ' ' + ordinal(d.getDate()) + ', ' + d.getFullYear(),
      date_pretty: () => pretty(d, tokens.date()),
      date_short_pretty: () => pretty(d, tokens.date_short()),
      date_long_pretty: () => pretty(d, tokens.date_long()),
      time: () => d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' }),
      time_secs: () => d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
      ago: () => ago(d),
    };
    const out = format.replace(/\{(\w+)\}/g, (m, k) => (tokens[k] ? tokens[k]() : m));
    return out.charAt(0).toUpperCase() + out.slice(1);
  }

  function tickClock() {
    const el = document.getElementById('bot-clock');
    if (el) el.textContent = formatDate('{time_secs}', botNow());
  }
  setInterval(tickClock, 1000);

  // ---- talking to the server ----
  async function post(path, body) {
    let res;
    try {
      res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    } catch (_) {
      toast('The playground is not answering. Is it still running?');
      return false;
    }
    if (res.ok) return true;
    let msg = 'Something went wrong (' + res.status + ').';
    try { const j = await res.json(); if (j && j.error) msg = j.error; } catch (_) { /* not JSON */ }
    toast(msg);
    return false;
  }

  let toastTimer = 0;
  function toast(msg) {
    const t = $('#toast');
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  async function send(text) {
    text = (text || '').trim();
    if (!text) return;
    sent.push(text);
    recall = -1;
    hideSuggest();
    if (!(await post('/api/command', { as: me, text }))) composer.value = composer.value || text;
  }

  async function press(btn) {
    const msg = btn.closest('.msg');
    if (!msg || !msg.dataset.ts) return;
    btn.disabled = true;
    await post('/api/click', { as: me, ts: msg.dataset.ts, action_id: btn.dataset.actionId, block_id: btn.dataset.blockId, value: btn.dataset.value });
    if (btn.isConnected) btn.disabled = false;
  }

  // ---- the confirm dialog of a Block Kit button ----
  let pending = null;
  function openConfirm(btn) {
    const tpl = btn.parentElement.querySelector('template.bk-confirm');
    if (!tpl) { press(btn); return; }
    const c = tpl.content;
    $('#modal-title').innerHTML = c.querySelector('.bk-confirm-title').innerHTML;
    $('#modal-body').innerHTML = c.querySelector('.bk-confirm-text').innerHTML;
    const foot = $('#modal-foot');
    foot.innerHTML = '';
    foot.append(...Array.from(c.querySelector('.bk-confirm-buttons').children).map(n => n.cloneNode(true)));
    enhance($('#modal'));
    pending = btn;
    $('#modal').hidden = false;
    const ok = foot.querySelector('[data-role="confirm"]');
    if (ok) ok.focus();
  }
  function closeConfirm(confirmed) {
    $('#modal').hidden = true;
    const btn = pending;
    pending = null;
    if (confirmed && btn) press(btn);
  }

  // ---- the composer and its suggestions ----
  function showSuggest() {
    const v = composer.value;
    if (!v.startsWith('/') || v.length > 40) { hideSuggest(); return; }
    const list = examples.filter(e => e.startsWith(v) && e !== v);
    if (!list.length) { hideSuggest(); return; }
    suggest.innerHTML = '';
    const head = document.createElement('div');
    head.className = 'suggest-head';
    head.textContent = 'syncbot commands (Tab completes)';
    suggest.append(head);
    list.forEach((e, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = e;
      b.dataset.command = e;
      if (i === 0) b.classList.add('sel');
      suggest.append(b);
    });
    suggest.hidden = false;
  }
  function hideSuggest() { suggest.hidden = true; }

  composer.addEventListener('input', showSuggest);
  composer.addEventListener('keydown', ev => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      const text = composer.value;
      composer.value = '';
      send(text);
    } else if (ev.key === 'Tab' && !suggest.hidden) {
      ev.preventDefault();
      const first = suggest.querySelector('button');
      if (first) composer.value = first.dataset.command;
      hideSuggest();
    } else if (ev.key === 'Escape') {
      hideSuggest();
    } else if (ev.key === 'ArrowUp' && sent.length && (composer.value === '' || recall >= 0)) {
      ev.preventDefault();
      recall = recall < 0 ? sent.length - 1 : Math.max(0, recall - 1);
      composer.value = sent[recall];
    } else if (ev.key === 'ArrowDown' && recall >= 0) {
      ev.preventDefault();
      recall = recall + 1 < sent.length ? recall + 1 : -1;
      composer.value = recall < 0 ? '' : sent[recall];
    }
  });
  composer.addEventListener('blur', () => setTimeout(hideSuggest, 150));

  // ---- clicks, all delegated ----
  document.addEventListener('click', ev => {
    const t = ev.target;
    let el;
    if ((el = t.closest('#modal [data-role]'))) { closeConfirm(el.dataset.role === 'confirm'); return; }
    if (t.id === 'modal') { closeConfirm(false); return; }
    if ((el = t.closest('.msg button.bk-button[data-action-id]'))) {
      if (el.dataset.confirm) openConfirm(el); else press(el);
      return;
    }
    if ((el = t.closest('.dismiss'))) { const m = el.closest('.msg'); if (m) m.remove(); return; }
    if ((el = t.closest('.person[data-user]'))) { if (el.dataset.user !== me) setPerson(el.dataset.user); composer.focus(); return; }
    if ((el = t.closest('.example, .suggest button'))) {
      if (el.classList.contains('example')) { send(el.dataset.command); } else { composer.value = el.dataset.command; hideSuggest(); }
      composer.focus();
      return;
    }
    if ((el = t.closest('button[data-control]'))) {
      post('/api/control', { control: el.dataset.control, minutes: Number(el.dataset.minutes) || 0 });
      return;
    }
    if (t.closest('#send')) {
      const text = composer.value;
      composer.value = '';
      send(text);
      composer.focus();
    }
  });
  document.addEventListener('keydown', ev => {
    if (ev.key === 'Escape' && !$('#modal').hidden) closeConfirm(false);
  });

  setPerson(me);
})();
