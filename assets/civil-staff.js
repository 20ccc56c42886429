/* Civil's moderators' and editors' pages: the moderation queue (keys, bulk actions, undo), a
   newsletter issue's sending progress, and the issue editor's live preview. Loaded only on
   /moderation and /admin pages, after civil.js, whose helpers it uses. */
(function () {
  'use strict';
  var C = window.Civil;
  if (!C) return;
  var each = C.each, postJson = C.postJson, errorMessage = C.errorMessage, fieldValue = C.fieldValue;

  /* The moderation queue: inline actions, keyboard shortcuts, live counts. */
  function setupQueue() {
    var queue = document.querySelector('ol.queue');
    var tabs = document.querySelector('nav.tabs');
    if (!tabs || !document.querySelector('span.count[data-tab]')) return;
    var current = tabs.querySelector('a[aria-current] .count');
    var bulk = document.getElementById('bulk');

    function items() { return Array.prototype.slice.call(document.querySelectorAll('.queue-item:not(.leaving)')); }
    function focused() {
      var el = document.activeElement;
      return el && el.closest ? el.closest('.queue-item') : null;
    }
    function focusItem(item) {
      if (!item) return;
      each('.queue-item.current', function (i) { i.classList.remove('current'); });
      item.classList.add('current');
      item.focus({ preventScroll: true });
      item.scrollIntoView({ block: 'nearest', behavior: window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
    }
    function move(step) {
      var list = items(), here = focused() || document.querySelector('.queue-item.current');
      var index = here ? list.indexOf(here) : -1;
      var next = list[index < 0 ? 0 : Math.max(0, Math.min(list.length - 1, index + step))];
      focusItem(next);
    }

    function updateSelected() {
      var out = bulk && bulk.querySelector('.selected-count');
      var boxes = document.querySelectorAll('input[name="ids"][form="bulk"]:checked');
      each('input[name="ids"][form="bulk"]', function (box) {
        var item = box.closest('.queue-item');
        if (item) item.classList.toggle('selected', box.checked);
      });
      if (out) out.textContent = boxes.length ? boxes.length + (boxes.length === 1 ? ' comment selected' : ' comments selected') : '';
    }
    document.addEventListener('change', function (e) {
      if (e.target.matches && e.target.matches('input[name="ids"][form="bulk"]')) updateSelected();
    });

    function setCount(span, n) {
      if (!span || !(n >= 0)) return;
      span.textContent = String(n);
    }

    /* What the last action did, said in the status region at the top, with its Undo. */
    var status = document.getElementById('queue-status'), undoTimer = null;
    function say(text, undo) {
      if (!status) return;
      clearTimeout(undoTimer);
      status.textContent = '';
      var p = document.createElement('p');
      p.className = 'banner ' + (undo === false ? 'info' : 'success');
      p.textContent = text;
      status.appendChild(p);
      if (!undo) return;
      var button = document.createElement('button');
      button.type = 'button'; button.className = 'small secondary undo'; button.textContent = 'Undo';
      p.appendChild(document.createTextNode(' '));
      p.appendChild(button);
      button.addEventListener('click', undo.run);
      undoTimer = setTimeout(function () { if (button.parentNode) button.parentNode.removeChild(button); }, undo.seconds * 1000);
    }
    function tokenForm() { var input = document.querySelector('input[name="csrf_token"]'); return input && input.form; }

    function restore(kept) {
      if (kept.li.parentNode !== kept.parent) kept.parent.insertBefore(kept.li, kept.next && kept.next.parentNode === kept.parent ? kept.next : null);
      kept.item.classList.remove('leaving');
      each('button', function (b) { b.disabled = false; }, kept.item);
      kept.form.removeAttribute('aria-busy');
      each('p.empty.left', function (p) { p.parentNode.removeChild(p); });
      setCount(current, parseInt(current && current.textContent, 10) + 1);
      focusItem(kept.item);
    }

    /* Inline actions on one item: fall back to the plain form on any failure. */
    document.addEventListener('submit', function (e) {
      var form = e.target;
      if (e.defaultPrevented || !window.fetch) return;
      var match = /^\/moderation\/comments\/(\d+)\/(approve|remove|dismiss-flags)$/.exec(form.getAttribute('action') || '');
      if (!match) return; // remove-and-ban and the rest: submit normally
      var item = form.closest('.queue-item');
      if (!item) return;
      e.preventDefault();
      if (form.getAttribute('aria-busy') === 'true') return;
      var body;
      if (match[2] === 'remove') {
        body = { reason: fieldValue(form, 'reason') };
        var note = fieldValue(form, 'note');
        if (note) body.note = note;
      }
      form.setAttribute('aria-busy', 'true');
      each('button', function (b) { b.disabled = true; }, item);
      postJson('/api/v1/moderation/comments/' + match[1] + '/' + match[2], form, body).then(function (r) {
        if (!r.ok || !r.data || typeof r.data.undo !== 'string') throw new Error('HTTP ' + r.status);
        var list = items(), index = list.indexOf(item);
        var next = list[index + 1] || list[index - 1] || null;
        var box = item.querySelector('input[name="ids"]');
        if (box) box.checked = false;
        var details = item.querySelector('details[open]');
        if (details) details.open = false;
        item.classList.add('leaving');
        setCount(current, parseInt(current && current.textContent, 10) - 1);
        var li = item.parentNode;
        var kept = { li: li, parent: li.parentNode, next: li.nextSibling, item: item, form: form };
        setTimeout(function () {
          if (!item.classList.contains('leaving')) return; // undone meanwhile
          if (li && li.parentNode) li.parentNode.removeChild(li);
          updateSelected();
          if (!document.querySelector('.queue-item')) {
            var empty = document.createElement('p');
            empty.className = 'empty left';
            empty.textContent = 'Nothing left on this page.';
            if (queue && queue.parentNode) queue.parentNode.insertBefore(empty, queue);
          }
        }, 300);
        say(r.data.message || 'Done.', { seconds: r.data.undo_seconds || 10, run: function () {
          postJson('/api/v1/moderation/undo/' + encodeURIComponent(r.data.undo), tokenForm()).then(function (u) {
            if (!u.ok) { say(errorMessage(u.data) || 'That could not be undone.', false); return; }
            restore(kept);
            say(u.data && u.data.message || 'Undone.');
          }).catch(function () { say('That could not be undone: the connection failed. Reload the page to see where things stand.', false); });
        } });
        if (next) focusItem(next);
      }).catch(function () { form.submit(); });
    });

    /* Escape closes an open remove panel and goes back to its summary, even from its fields. */
    document.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      var details = e.target.closest && e.target.closest('.queue-item details[open]');
      if (!details) { var here = focused(); details = here && here.querySelector('details[open]'); }
      if (!details) return;
      e.preventDefault();
      details.open = false;
      details.querySelector('summary').focus();
    });

    /* Shortcuts: not while typing, and not with modifier keys. */
    document.addEventListener('keydown', function (e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      if (t && (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' ||
          (t.tagName === 'INPUT' && !/^(checkbox|radio|submit|button)$/.test(t.type)))) return;
      var key = e.key, item = focused() || document.querySelector('.queue-item.current');
      function submit(action, why) {
        var form = item && item.querySelector('form[data-action="' + action + '"]');
        e.preventDefault();
        if (!form) { say(why, false); return; } // a key that does nothing says why
        if (form.requestSubmit) form.requestSubmit();
        else form.dispatchEvent(new Event('submit', { cancelable: true, bubbles: true })) && form.submit();
      }
      if (key === 'j') { e.preventDefault(); move(1); }
      else if (key === 'k') { e.preventDefault(); move(-1); }
      else if (!item) return;
      else if (key === 'a') submit('approve', item.querySelector('.action-bar')
        ? 'Nothing to approve: this comment is already published.' : 'You cannot decide on this comment.');
      else if (key === 'd') submit('dismiss-flags', item.querySelector('.action-bar')
        ? 'Nothing to dismiss: this comment has no open flags.' : 'You cannot decide on this comment.');
      else if (key === 'r') {
        var details = item.querySelector('details.remove:not(.ban)');
        var select = details && details.querySelector('select[name="reason"]');
        e.preventDefault();
        if (!select) { say(item.querySelector('.action-bar') ? 'Nothing to remove: this comment is already removed.' : 'You cannot decide on this comment.', false); return; }
        details.open = true;
        select.focus();
      } else if (key === 'x') {
        var box = item.querySelector('input[name="ids"]');
        if (!box) return;
        e.preventDefault();
        box.checked = !box.checked;
        updateSelected();
      }
    });

    document.addEventListener('focusin', function (e) {
      var item = e.target.closest && e.target.closest('.queue-item');
      if (!item) return;
      each('.queue-item.current', function (i) { if (i !== item) i.classList.remove('current'); });
      item.classList.add('current');
    });

    /* Live counts: from the moderators' event stream, or every 20 seconds without one. New
       items in this tab are announced, with a link that loads them. */
    function showCounts(counts) {
      each('span.count[data-tab]', function (span) {
        var n = counts[span.getAttribute('data-tab')];
        if (typeof n === 'number') setCount(span, n);
      });
    }
    function refreshCounts() {
      if (document.hidden) return;
      fetch('/api/v1/moderation/queue/counts', { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (response) { if (!response.ok) throw new Error('HTTP ' + response.status); return response.json(); })
        .then(showCounts)
        .catch(function () { /* counts are a nicety */ });
    }
    var section = document.querySelector('section.moderation[data-live]'), arrived = 0;
    if (section && window.EventSource) {
      var bar = document.createElement('p');
      bar.className = 'live-bar'; bar.setAttribute('aria-live', 'polite');
      tabs.parentNode.insertBefore(bar, tabs.nextSibling);
      new EventSource(section.getAttribute('data-live')).onmessage = function (m) {
        var e = JSON.parse(m.data), tab = current && current.getAttribute('data-tab');
        showCounts(e);
        if (!e.comment || document.getElementById('item-' + e.comment) || (tab !== 'pending' && tab !== 'reported')) return;
        arrived += 1;
        bar.innerHTML = '';
        bar.appendChild(document.createTextNode(arrived + (arrived === 1 ? ' change' : ' changes') + ' in the queue · '));
        var link = document.createElement('a');
        link.href = location.pathname + location.search; link.textContent = 'Show';
        bar.appendChild(link);
      };
    } else if (window.fetch) setInterval(refreshCounts, 20000);
    updateSelected();
  }

  /* A newsletter issue being sent: its numbers every 2 seconds, until every message is out. */
  function setupProgress() {
    var dl = document.getElementById('progress');
    if (!dl || !window.fetch) return;
    var id = dl.getAttribute('data-issue'), note = document.getElementById('progress-note');
    var bar = document.getElementById('progress-bar'), failures = 0;
    var FIELDS = ['recipients', 'queued', 'sending', 'sent', 'failed', 'unknown'];
    function dd(field) { return dl.querySelector('dd[data-field="' + field + '"]'); }
    function shown(field) { var el = dd(field); return el ? parseInt(el.textContent, 10) || 0 : 0; }
    function say(text) { if (note && note.textContent !== text) note.textContent = text; }
    if (!/^\d+$/.test(id || '') || shown('queued') + shown('sending') === 0) return;

    function show(data) {
      FIELDS.forEach(function (field) {
        var el = dd(field);
        if (el && typeof data[field] === 'number') el.textContent = String(data[field]);
      });
      var rate = dd('rate_per_second');
      if (rate && typeof data.rate_per_second === 'number') rate.textContent = data.rate_per_second.toFixed(1) + ' per second';
      var done = (data.sent || 0) + (data.failed || 0) + (data.unknown || 0), total = data.recipients || 0;
      var max = Math.max(total, 1), percent = total > 0 ? Math.min(100, Math.floor(done * 100 / total)) : 100;
      if (bar) { bar.max = max; bar.value = total > 0 ? Math.min(done, max) : max; bar.textContent = percent + '%'; }
      each('[data-field="percent"]', function (el) { el.textContent = percent + '%'; });
      if (typeof data.status === 'string') {
        dl.setAttribute('data-status', data.status);
        each('[data-issue-status]', function (badge) {
          badge.textContent = data.status;
          badge.className = 'badge' + (data.status === 'sent' ? ' ok' : data.status === 'sending' ? ' warn' : '');
        });
      }
    }

    function finished(data) {
      var trouble = [];
      if (data.failed > 0) trouble.push(data.failed + ' failed');
      if (data.unknown > 0) trouble.push(data.unknown + ' in doubt');
      say(trouble.length
        ? 'Sending has finished: ' + trouble.join(' and ') + '. Refresh the page to send them again.'
        : 'Sending has finished: every message is out.');
    }

    function poll() {
      if (document.hidden) { setTimeout(poll, 2000); return; } // no requests from a tab nobody looks at
      fetch('/admin/newsletter/issues/' + id + '/progress.json', {
        credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' }
      }).then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      }).then(function (data) {
        if (!data || typeof data.sent !== 'number') throw new Error('Unexpected reply');
        failures = 0;
        show(data);
        if (data.status === 'sent' && !(data.queued > 0 || data.sending > 0)) { finished(data); return; }
        setTimeout(poll, 2000);
      }).catch(function () {
        if (++failures >= 5) { say('Live updates stopped. Use Refresh to see the latest numbers.'); return; }
        setTimeout(poll, 2000 * failures);
      });
    }

    say('Sending. These numbers update every 2 seconds.');
    setTimeout(poll, 2000);
  }

  /* The issue editor: a preview through the issue e-mail's own template, as the editor types. */
  function setupIssuePreview() {
    var form = document.querySelector('form.issue-form'), out = document.getElementById('live-preview');
    if (!form || !out || !window.fetch) return;
    var subject = document.getElementById('live-preview-subject'), body = document.getElementById('live-preview-html');
    var timer = null, sent = 0;
    function refresh() {
      var mine = ++sent;
      postJson('/admin/newsletter/preview', form, { subject: fieldValue(form, 'subject'), body: form.elements.body.value })
        .then(function (r) {
          if (mine !== sent || !r.ok || !r.data || typeof r.data.html !== 'string') return; // a later one is coming
          subject.textContent = r.data.subject;
          body.innerHTML = r.data.html; // the server's template: escaped and sanitised there
          out.hidden = !(fieldValue(form, 'subject') || fieldValue(form, 'body')); // nothing to show yet
        }).catch(function () { /* the saved issue's page has the preview too */ });
    }
    form.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
    refresh();
  }

  setupQueue();
  setupProgress();
  setupIssuePreview();
})();
