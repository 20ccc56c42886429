/* Civil: progressive enhancement. Every page works without this file. */
(function () {
  'use strict';

  var DRAFT_PREFIX = 'civil:draft:', DRAFT_MAX_AGE = 30 * 24 * 3600 * 1000, flushers = [];
  var store = (function () {
    try { var s = window.localStorage; s.setItem('civil:test', '1'); s.removeItem('civil:test'); return s; } catch (e) { return null; }
  })();

  function each(selector, fn, root) { Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn); }

  /* Drafts: kept per form action and parent comment. */
  function draftKey(form) {
    var parent = form.querySelector('input[name="parent_id"]');
    return DRAFT_PREFIX + form.getAttribute('action') + '#' + (parent ? parent.value : '');
  }

  function readDraft(key) {
    try { var d = JSON.parse(store.getItem(key)); return d && typeof d.v === 'string' ? d.v : ''; } catch (e) { return ''; }
  }

  function writeDraft(key, value, original) {
    try {
      if (!value.trim() || value === original) store.removeItem(key);
      else store.setItem(key, JSON.stringify({ v: value, t: Date.now() }));
    } catch (e) { /* storage full or blocked: drafts are a nicety */ }
  }

  function pruneDrafts() { // forget drafts older than 30 days
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i), d = null;
      if (!key || key.indexOf(DRAFT_PREFIX) !== 0) continue;
      try { d = JSON.parse(store.getItem(key)); } catch (e) { /* corrupt: drop it */ }
      if (!d || !(Date.now() - d.t < DRAFT_MAX_AGE)) store.removeItem(key);
    }
  }

  /* A counter that appears when fewer than 1000 characters remain. */
  function addCounter(textarea) {
    var max = textarea.maxLength, described = textarea.getAttribute('aria-describedby');
    if (!(max > 0)) return;
    var out = document.createElement('p');
    out.className = 'counter'; out.id = (textarea.id || 'body') + '-count';
    out.setAttribute('aria-live', 'polite');
    textarea.parentNode.insertBefore(out, textarea.nextSibling);
    textarea.setAttribute('aria-describedby', (described ? described + ' ' : '') + out.id);
    function update() {
      var left = max - textarea.value.length;
      out.textContent = left < 1000 ? left + (left === 1 ? ' character left' : ' characters left') : '';
      out.classList.toggle('low', left < 100);
    }
    textarea.addEventListener('input', update);
    update();
  }

  function enhanceForm(form) {
    var textarea = form.querySelector('textarea');
    if (!textarea || form.hasAttribute('data-enhanced')) return;
    form.setAttribute('data-enhanced', '');
    addCounter(textarea);
    if (!store) return;
    var key = draftKey(form), timer = null;
    var original = textarea.value; // what the server filled in, if anything: it wins
    if (!original && (textarea.value = readDraft(key))) textarea.dispatchEvent(new Event('input'));
    function flush() {
      if (timer === null) return;
      clearTimeout(timer); timer = null;
      writeDraft(key, textarea.value, original);
    }
    textarea.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(flush, 400); });
    textarea.addEventListener('blur', flush);
    flushers.push(flush);
    form.addEventListener('submit', function (e) {
      if (!e.defaultPrevented) { clearTimeout(timer); timer = null; store.removeItem(key); }
    });
  }

  /* Inline replies: a copy of the main comment form under the comment. */
  function closeReply(form, link) {
    form.parentNode.removeChild(form);
    if (link) { link.setAttribute('aria-expanded', 'false'); link.focus(); }
  }

  function buildReply(main, id, link) {
    var form = main.cloneNode(true);
    form.id = 'reply-' + id;
    form.removeAttribute('data-enhanced');
    each('.error, .counter, input[name="parent_id"]', function (n) { n.parentNode.removeChild(n); }, form);
    var parent = document.createElement('input');
    parent.type = 'hidden'; parent.name = 'parent_id'; parent.value = id;
    form.insertBefore(parent, form.firstChild);
    var textarea = form.querySelector('textarea');
    textarea.id = 'reply-' + id + '-body';
    textarea.value = textarea.defaultValue = '';
    textarea.removeAttribute('aria-invalid');
    textarea.removeAttribute('aria-describedby');
    var label = form.querySelector('label');
    if (label) { label.htmlFor = textarea.id; label.textContent = 'Your reply'; }
    var submit = form.querySelector('button[type="submit"]');
    if (submit) submit.textContent = 'Post reply';
    var cancel = document.createElement('button');
    cancel.type = 'button'; cancel.className = 'secondary'; cancel.textContent = 'Cancel';
    cancel.addEventListener('click', function () { // Cancel discards the draft; toggling Reply keeps it
      if (store) store.removeItem(draftKey(form));
      closeReply(form, link);
    });
    (submit ? submit.parentNode : form).appendChild(cancel);
    return form;
  }

  document.addEventListener('click', function (e) {
    var link = e.target.closest && e.target.closest('a.reply[data-reply]');
    if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    var id = link.getAttribute('data-reply');
    var open = document.getElementById('reply-' + id);
    if (open) { e.preventDefault(); closeReply(open, link); return; }
    var main = document.getElementById('comment-form');
    var comment = document.getElementById('comment-' + id);
    var footer = comment && comment.querySelector('footer.actions');
    if (!main || !footer) return; // signed out or closed: follow the link
    e.preventDefault();
    var form = buildReply(main, id, link);
    footer.parentNode.insertBefore(form, footer.nextSibling);
    link.setAttribute('aria-expanded', 'true');
    link.setAttribute('aria-controls', form.id);
    enhanceForm(form);
    form.querySelector('textarea').focus();
  });

  /* Confirmations run first (capture), so nothing else acts on a cancelled submit. */
  document.addEventListener('submit', function (e) {
    var message = e.target.getAttribute('data-confirm');
    if (message && !window.confirm(message)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);

  /* Votes without a reload; any failure falls back to the plain form post. A vote button
     submits the page's one vote form (form=, formaction=), which holds the session's token. */
  function showVote(button, data) {
    var score = button.querySelector('.score');
    score.textContent = String(data.score);
    var word = score.nextSibling;
    if (word && word.nodeType === 3) word.nodeValue = data.score === 1 ? ' point' : ' points';
    button.classList.toggle('voted', data.voted);
    button.setAttribute('aria-pressed', data.voted ? 'true' : 'false');
    button.title = data.voted ? 'Take back your upvote' : 'Upvote';
    button.value = data.voted ? '0' : '1';
  }

  /* The plain post a button would have made: submit() skips these handlers (no loop) but also
     leaves out the button's own action and value, so they are set first. */
  function plainSubmit(form, button) {
    form.action = button.getAttribute('formaction') || form.action;
    if (button.name) {
      var field = document.createElement('input');
      field.type = 'hidden'; field.name = button.name; field.value = button.value;
      form.appendChild(field);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  document.addEventListener('submit', function (e) {
    var form = e.target, button = e.submitter;
    if (e.defaultPrevented || !window.fetch || !button || !button.matches('button.vote')) return;
    var action = button.getAttribute('formaction') || '';
    var csrf = form.querySelector('input[name="csrf_token"]');
    if (!/\/comments\/\d+\/vote$/.test(action) || !csrf || !button.querySelector('.score')) return;
    e.preventDefault();
    if (button.getAttribute('aria-busy') === 'true') return;
    button.setAttribute('aria-busy', 'true');
    fetch(action.replace(/\/comments\/(\d+)\/vote$/, '/api/v1/comments/$1/vote'), {
      method: 'POST', credentials: 'same-origin', body: JSON.stringify({ value: button.value === '0' ? 0 : 1 }),
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf.value }
    }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    }).then(function (data) {
      if (typeof data.score !== 'number' || typeof data.voted !== 'boolean') throw new Error('Unexpected reply');
      showVote(button, data);
      button.removeAttribute('aria-busy');
    }).catch(function () { plainSubmit(form, button); });
  });

  /* JSON posts to the API with the form's CSRF token. Resolves with {status, data}. */
  function postJson(url, form, body) {
    var csrf = form.querySelector('input[name="csrf_token"]');
    var options = {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf ? csrf.value : '' }
    };
    options.body = JSON.stringify(body || {});
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }

  function errorMessage(data) {
    return data && data.error && typeof data.error.message === 'string' ? data.error.message : '';
  }

  function fieldValue(form, name) {
    var field = form.elements[name];
    if (!field) return '';
    return (field.value || '').trim();
  }

  /* Flags: sent without a reload. A duplicate or an invalid flag says why next to the form.
     Every comment's flag boxes belong to the page's one flag form, named for their comment. */
  document.addEventListener('submit', function (e) {
    var form = e.target, button = e.submitter;
    if (e.defaultPrevented || !window.fetch || !button) return;
    var match = /\/comments\/(\d+)\/flag$/.exec(button.getAttribute('formaction') || '');
    var box = match && button.closest('.flag-form');
    if (!box) return;
    e.preventDefault();
    if (button.disabled) return;
    var body = { reason: fieldValue(form, 'reason-' + match[1]) }, note = fieldValue(form, 'note-' + match[1]);
    if (note) body.note = note;
    button.disabled = true;
    function done() { button.disabled = false; }
    function showError(message) {
      var out = box.querySelector('.error');
      if (!out) {
        out = document.createElement('p');
        out.className = 'error'; out.setAttribute('role', 'alert');
        out.id = 'flag-' + match[1] + '-error';
        var actions = box.querySelector('.form-actions');
        box.insertBefore(out, actions || null);
      }
      out.textContent = message;
    }
    postJson('/api/v1/comments/' + match[1] + '/flags', form, body).then(function (r) {
      if (r.status === 201) {
        var details = box.closest('details.flag') || box;
        var thanks = document.createElement('p');
        thanks.className = 'landed flagged'; thanks.setAttribute('role', 'status'); thanks.tabIndex = -1;
        thanks.textContent = r.data && typeof r.data.message === 'string' && r.data.message
          ? r.data.message : 'Thanks — you flagged this comment. Moderators will review it.';
        var footer = details.closest('footer.actions');
        details.parentNode.removeChild(details);
        if (footer) footer.parentNode.insertBefore(thanks, footer.nextSibling);
        else box.parentNode && box.parentNode.appendChild(thanks);
        thanks.focus();
        return;
      }
      var message = errorMessage(r.data);
      if ((r.status === 409 || r.status === 422) && message) { done(); showError(message); return; }
      throw new Error('HTTP ' + r.status);
    }).catch(function () { plainSubmit(form, button); });
  });

  /* The discussion in place: writes, sort and paging fetch the page the server would send (one
     rendering) and swap the discussion in; any failure falls back to the plain form or link. */
  var framed = window.parent !== window, LANDING = /[?&](posted|edited|deleted|voted|flagged)=\d+/g;
  function say(text) { var s = document.getElementById('thread-status'); if (s) s.textContent = text; }
  function parse(html) { return new DOMParser().parseFromString(html, 'text/html'); }
  function focusOn(el) {
    if (!el) return;
    for (var p = el; p; p = p.parentElement) if (p.tagName === 'DETAILS') p.open = true;
    if (!el.hasAttribute('tabindex') && !/^(A|BUTTON|TEXTAREA)$/.test(el.tagName)) el.tabIndex = -1;
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'center', behavior: 'instant' });
  }
  function enhanceThread(root) {
    each('form.comment-form', enhanceForm, root);
    each('time[datetime]', relativeTime, root);
    setupFolds(root);
  }
  function swap(doc, url, hash) {
    var fresh = doc.getElementById('comments'), old = document.getElementById('comments');
    old.parentNode.replaceChild(document.adoptNode(fresh), old);
    enhanceThread(fresh);
    if (url) history.replaceState(null, '', url.replace(LANDING, '') + (hash || ''));
    var error = fresh.querySelector('[aria-invalid="true"]'), landed = document.getElementById('landed');
    if (landed) say(landed.textContent);
    focusOn(error || hash && document.getElementById(hash.slice(1)) || landed);
  }
  function get(href) {
    return fetch(href, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text().then(parse);
    });
  }
  document.addEventListener('submit', function (e) {
    var form = e.target, action = form.getAttribute('action') || '';
    if (e.defaultPrevented || framed || !window.fetch || !form.closest('#comments') ||
        !/^\/(articles\/[^/]+\/comments|comments\/\d+\/(edit|delete))$/.test(action)) return;
    e.preventDefault();
    if (form.getAttribute('aria-busy')) return;
    form.setAttribute('aria-busy', 'true');
    fetch(action, { method: 'POST', credentials: 'same-origin', body: new URLSearchParams(new FormData(form)) }).then(function (r) {
      if (!r.redirected && r.status !== 422) throw new Error(r.status);
      return r.text().then(function (html) {
        var id = /[?&](?:posted|edited|voted)=(\d+)/.exec(r.url);
        swap(parse(html), r.redirected && r.url, id ? '#comment-' + id[1] : '#landed');
      });
    }).catch(function () { HTMLFormElement.prototype.submit.call(form); });
  });
  function load(href, more) {
    get(href).then(function (doc) {
      if (!more) { history.pushState(null, '', href); swap(doc); focusOn(document.querySelector('#comments ol.thread')); return; }
      var list = document.querySelector('#comments ol.thread'), pager = more.parentNode, first;
      var next = doc.querySelector('#comments nav.pager-next'), items = doc.querySelectorAll('#comments ol.thread > li');
      each('#comments ol.thread > li', function (li) { li = document.adoptNode(li); list.appendChild(li); enhanceThread(li); first = first || li; }, doc);
      if (next) pager.parentNode.replaceChild(document.adoptNode(next), pager); else pager.parentNode.removeChild(pager);
      focusOn(first.querySelector('.comment'));
      say(items.length + ' more comments');
    }).catch(function () { location.href = href; });
  }
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('#comments a[data-page], #comments a[data-more], #comments a[data-edit], #comments a[data-share]');
    if (!a || framed || !window.fetch || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    var href = a.getAttribute('href'), comment = a.closest('.comment');
    if (!/^\//.test(href)) return;
    e.preventDefault();
    function fallback() { location.href = href; }
    if (a.hasAttribute('data-share')) {
      if (!navigator.clipboard) return fallback();
      navigator.clipboard.writeText(new URL(href, location.href).href).then(function () {
        a.textContent = 'Link copied'; say('Link to the comment copied');
      }, fallback);
    } else if (a.hasAttribute('data-edit')) {
      if (comment.querySelector('form.edit-inline')) return;
      get(href).then(function (doc) { // the edit page's own form, in place of the page
        var form = document.adoptNode(doc.querySelector('section.edit form')), box = form.querySelector('textarea');
        form.classList.add('edit-inline');
        box.id = 'edit-' + comment.getAttribute('data-id');
        form.querySelector('label').htmlFor = box.id;
        form.querySelector('a.cancel').addEventListener('click', function (c) { c.preventDefault(); form.remove(); a.focus(); });
        comment.insertBefore(form, comment.querySelector('footer.actions'));
        box.focus();
      }).catch(fallback);
    } else load(href, a.hasAttribute('data-more') && a);
  });
  /* The newsletter block: subscribe in place, the answer said where the form was. */
  document.addEventListener('submit', function (e) {
    var form = e.target, block = form.closest('#newsletter');
    if (e.defaultPrevented || framed || !window.fetch || !block || form.getAttribute('action') !== '/newsletter') return;
    e.preventDefault();
    fetch('/newsletter', { method: 'POST', credentials: 'same-origin', body: new URLSearchParams(new FormData(form)) }).then(function (r) {
      if (r.status !== 200 && r.status !== 422) throw new Error(r.status);
      return r.text().then(function (html) {
        var doc = parse(html), error = doc.querySelector('main .error'), out = block.querySelector('.landed, .error') || document.createElement('p');
        out.className = error ? 'error' : 'landed';
        out.setAttribute('role', error ? 'alert' : 'status');
        out.tabIndex = -1;
        out.textContent = error ? error.textContent : doc.querySelector('main h1').textContent + '. ' + doc.querySelector('main p').textContent;
        if (!error) form.remove(); else form.appendChild(out);
        if (!out.parentNode) block.appendChild(out);
        focusOn(out);
      });
    }).catch(function () { HTMLFormElement.prototype.submit.call(form); });
  });
  window.addEventListener('popstate', function () { if (document.getElementById('comments') && !framed) load(location.href); });

  /* Subthreads fold away, and stay folded for the visit. */
  var session = (function () { try { return window.sessionStorage; } catch (e) { return null; } })();
  function folded() { try { return JSON.parse(session.getItem('civil:folded')) || []; } catch (e) { return []; } }
  function setupFolds(root) {
    each('.comment', function (c) {
      var li = c.parentNode, replies = li.querySelector(':scope > ol.replies'), id = c.getAttribute('data-id');
      if (!replies || c.querySelector('button.fold')) return;
      var n = replies.querySelectorAll('.comment').length, button = document.createElement('button');
      function set(open) {
        li.classList.toggle('folded', !open);
        button.setAttribute('aria-expanded', open);
        button.textContent = open ? 'Hide replies' : 'Show ' + n + (n === 1 ? ' reply' : ' replies');
      }
      button.type = 'button'; button.className = 'link fold';
      button.addEventListener('click', function () {
        var open = li.classList.contains('folded'), list = folded().filter(function (x) { return x !== id; });
        set(open);
        if (!open) list.push(id);
        try { session.setItem('civil:folded', JSON.stringify(list)); } catch (e) { /* a nicety */ }
      });
      set(folded().indexOf(id) < 0);
      (c.querySelector('footer.actions') || c).appendChild(button);
    }, root);
  }

  /* "5 minutes ago", with the exact time kept in the title. Future times stay absolute. */
  function ago(n, unit) { n = Math.floor(n); return n + ' ' + unit + (n === 1 ? '' : 's') + ' ago'; }
  function relativeTime(el) {
    if (!el.hasAttribute('data-absolute')) {
      el.setAttribute('data-absolute', el.textContent);
      if (!el.title) el.title = el.textContent;
    }
    var text = el.getAttribute('data-absolute'), then = Date.parse(el.getAttribute('datetime'));
    if (isNaN(then)) return;
    var secs = (Date.now() - then) / 1000, yesterday = new Date();
    yesterday.setDate(yesterday.getDate() - 1);
    if (secs > -30 && secs < 60) text = 'just now'; // allow a little clock skew
    else if (secs >= 60 && secs < 3600) text = ago(secs / 60, 'minute');
    else if (secs >= 3600 && secs < 86400) text = ago(secs / 3600, 'hour');
    else if (secs >= 86400 && new Date(then).toDateString() === yesterday.toDateString()) text = 'yesterday';
    if (el.textContent !== text) el.textContent = text;
  }

  function updateTimes() { each('time[datetime]', relativeTime); }
  if (store) pruneDrafts();
  each('form.comment-form', enhanceForm);
  if (document.getElementById('comment-form')) each('a.reply[data-reply]', function (link) {
    link.setAttribute('aria-expanded', document.getElementById('reply-' + link.getAttribute('data-reply')) ? 'true' : 'false');
  });
  setupFolds(document);
  if (!framed && location.hash === '#landed') say((document.getElementById('landed') || {}).textContent || '');
  updateTimes();
  setInterval(updateTimes, 60000);
  /* Live: the discussion's event stream says what changed; "N new comments · Show" fetches each
     as this reader sees it. Edits and removals are applied in place. Without it, the page is as served. */
  var live = document.querySelector('#comments .live-bar'), liveSrc = live && live.getAttribute('data-live'), waiting = [];
  function byId(id) { return document.getElementById('comment-' + id); }
  function fragment(id) {
    return fetch('/comments/' + id + '/fragment', { credentials: 'same-origin' }).then(function (r) {
      if (r.status === 404) return null;
      if (!r.ok) throw new Error(r.status);
      return r.text().then(function (html) { return document.adoptNode(parse(html).querySelector('.comment')); });
    });
  }
  function liveBar(text, act) {
    var bar = document.querySelector('#comments .live-bar'), b = document.createElement('button');
    if (!bar) return;
    bar.textContent = text ? text + ' · ' : '';
    if (!text) return;
    b.type = 'button'; b.className = 'link'; b.textContent = act ? 'Reload' : 'Show';
    b.addEventListener('click', act || showWaiting);
    bar.appendChild(b);
  }
  function countWaiting() {
    waiting = waiting.filter(function (e) { return !byId(e.comment); });
    var n = waiting.length;
    liveBar(n && n + (n === 1 ? ' new comment' : ' new comments'));
  }
  function place(e, c) {
    var li = document.createElement('li'), parent = e.parent && byId(e.parent), list;
    li.appendChild(c);
    if (parent) {
      list = parent.parentNode.querySelector(':scope > ol.replies');
      if (!list) { list = document.createElement('ol'); list.className = 'replies'; parent.parentNode.appendChild(list); }
      list.appendChild(li);
    } else {
      list = document.querySelector('#comments ol.thread');
      if (!list) { list = document.createElement('ol'); list.className = 'thread'; document.querySelector('#comments .thread-body').appendChild(list); }
      var newest = /Newest/.test((document.querySelector('#comments nav.sort strong') || {}).textContent);
      list.insertBefore(li, newest ? list.firstChild : null);
    }
    enhanceThread(li);
  }
  function showWaiting() {
    var shown = waiting; waiting = []; liveBar('');
    shown.reduce(function (done, e) {
      return done.then(function () { return fragment(e.comment); }).then(function (c) { if (c && !byId(e.comment)) place(e, c); });
    }, Promise.resolve()).then(function () {
      say(shown.length + (shown.length === 1 ? ' new comment shown' : ' new comments shown'));
      focusOn(byId(shown[0].comment));
    }).catch(function () { location.reload(); });
  }
  function refresh(id) {
    var old = byId(id);
    if (old) fragment(id).then(function (c) {
      if (c) { old.parentNode.replaceChild(c, old); enhanceThread(c); } else (old.closest('li') || old).remove();
    }).catch(function () { /* it stays as it was */ });
  }
  if (liveSrc && window.EventSource && window.fetch && liveSrc.charAt(0) === '/') {
    var source = new EventSource(liveSrc);
    source.onmessage = function (m) {
      var e = JSON.parse(m.data), h = document.getElementById('discussion-heading');
      if (h && e.count >= 0) h.textContent = 'Discussion (' + e.count + ')';
      if (e.kind === 'published' && !byId(e.comment)) { waiting.push(e); countWaiting(); }
      else if (/^(published|edited|gone)$/.test(e.kind)) { refresh(e.comment); countWaiting(); }
      else if (/^(closed|reopened|reload)$/.test(e.kind)) {
        if (e.kind === 'reload') source.close();
        waiting = []; liveBar('The discussion has changed', function () { location.reload(); });
      }
    };
  }
  // For the staff pages' script (civil-staff.js), which readers never download.
  window.Civil = { each: each, postJson: postJson, errorMessage: errorMessage, fieldValue: fieldValue };
  window.addEventListener('pagehide', function () { flushers.forEach(function (f) { f(); }); });
})();

/* Live preview: while a reader writes a comment, reply or edit, say which words will be masked
   and what posting would do, and show the rendered markdown behind a "Preview" button. One
   endpoint (POST /api/v1/preview) runs the post's own masking, rendering and policy. Set up on
   the first keystroke, so it also serves forms that other code adds later. */
(function () {
  'use strict';
  var FORM_ACTION = /\/articles\/[^\/?#]+\/comments$|\/comments\/\d+\/edit$/, WAIT = 600;

  function setup(form, textarea) {
    var csrf = form.querySelector('input[name="csrf_token"]'), url;
    try { url = new URL(form.action, location.href); } catch (e) { return null; }
    // Only on Civil's own pages: a fragment on a publisher's page would post to that site.
    if (!csrf || !FORM_ACTION.test(url.pathname) || url.origin !== location.origin) return null;
    var id = (textarea.id || 'body') + '-preview';
    var notice = document.createElement('div');
    notice.className = 'preview-notice'; notice.id = id + '-notice';
    notice.setAttribute('aria-live', 'polite');
    var toggle = document.createElement('button');
    toggle.type = 'button'; toggle.className = 'link preview-toggle'; toggle.textContent = 'Preview';
    toggle.setAttribute('aria-expanded', 'false'); toggle.setAttribute('aria-controls', id);
    var shown = document.createElement('div');
    shown.className = 'preview body'; shown.id = id; shown.hidden = true;
    shown.setAttribute('role', 'region'); shown.setAttribute('aria-label', 'Preview of your comment');
    var actions = form.querySelector('.form-actions'), state = { timer: 0, asked: 0, last: null };
    if (actions && actions.parentNode !== form) actions = null;
    [notice, toggle, shown].forEach(function (el) { form.insertBefore(el, actions); });
    var described = textarea.getAttribute('aria-describedby');
    textarea.setAttribute('aria-describedby', (described ? described + ' ' : '') + notice.id);
    toggle.addEventListener('click', function () {
      shown.hidden = !shown.hidden;
      toggle.setAttribute('aria-expanded', String(!shown.hidden));
      toggle.textContent = shown.hidden ? 'Preview' : 'Hide preview';
      if (!shown.hidden) state.run();
    });
    function say(lines) {
      notice.textContent = '';
      lines.forEach(function (line) {
        var p = document.createElement('p');
        p.className = line[0]; p.textContent = line[1];
        notice.appendChild(p);
      });
    }
    state.run = function () {
      var body = textarea.value;
      if (body === state.last) return;
      if (!body.trim()) { state.last = body; say([]); shown.textContent = ''; return; }
      var asked = ++state.asked;
      fetch('/api/v1/preview', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf.value },
        body: JSON.stringify({ body: body })
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (answer) {
        // A later keystroke asked again: only its answer counts. Refused (a limit, a session
        // that ended): the last notice stands.
        if (!answer || asked !== state.asked) return;
        state.last = body;
        var lines = [];
        if (answer.masked_as.length) lines.push(['masked', 'These words will be masked: ' + answer.masked_as.join(', ')]);
        if (answer.outcome === 'refuse') lines.push(['refused', answer.message]);
        if (answer.outcome === 'hold') {
          lines.push(['held', 'If you post this, it will wait for a moderator. ' + answer.held.reasons.join(' ')]);
        }
        say(lines);
        shown.innerHTML = answer.html; // sanitised by the server, as the thread shows it
      }, function () { /* offline: the form still posts */ });
    };
    return state;
  }

  document.addEventListener('input', function (event) {
    var textarea = event.target;
    if (!textarea.matches || !textarea.matches('form textarea[name="body"]')) return;
    if (!textarea.civilPreview) textarea.civilPreview = setup(textarea.form, textarea) || { run: function () {} };
    var state = textarea.civilPreview;
    clearTimeout(state.timer);
    state.timer = setTimeout(state.run, WAIT);
  });
})();
