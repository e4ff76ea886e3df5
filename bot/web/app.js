/* Trivselsguiden: the chat (appends answers without reloading), the staff filters, and the
   one-line embed. No inline script, no third parties; the page also works without this file. */
(function () {
  'use strict';
  var me = document.currentScript;

  function chat(main) {
    var log = document.getElementById('log');
    var options = document.getElementById('options');
    var text = document.getElementById('text');
    var status = document.getElementById('status');
    var busy = false;

    function bubble(cls, who) {
      var div = document.createElement('div');
      div.className = 'msg ' + cls;
      var label = document.createElement('span');
      label.className = 'visually-hidden';
      label.textContent = who + ': ';
      div.appendChild(label);
      log.appendChild(div);
      return div;
    }

    function showOptions(rows) {
      options.textContent = '';
      rows.forEach(function (row) {
        var line = document.createElement('div');
        line.className = 'row';
        row.forEach(function (option) {
          var button = document.createElement('button');
          button.type = 'submit';
          button.name = 'button';
          button.value = option.data;
          button.textContent = option.label;
          line.appendChild(button);
        });
        options.appendChild(line);
      });
    }

    function setBusy(on) {
      busy = on;
      document.querySelectorAll('form[data-chat-form] button').forEach(function (b) { b.disabled = on; });
      status.textContent = on ? main.getAttribute('data-busy') : '';
    }

    function send(payload, shown, fromButton) {
      if (busy) { return; }
      if (shown) { bubble('me', main.getAttribute('data-you')).appendChild(document.createTextNode(shown)); }
      setBusy(true);
      fetch('api/chat?lang=' + encodeURIComponent(document.documentElement.lang), {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload)
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        setBusy(false);
        if (!result.ok) { status.textContent = result.data.error || main.getAttribute('data-error'); return; }
        var data = result.data;
        if (data.language !== document.documentElement.lang) { window.location.reload(); return; }
        var answer = bubble('guide' + (data.crisis ? ' crisis' : ''), main.getAttribute('data-guide'));
        answer.insertAdjacentHTML('beforeend', data.html); /* built and escaped by the server */
        showOptions(data.options);
        answer.scrollIntoView({ block: 'start' });
        var first = options.querySelector('button');
        if (fromButton && first) { first.focus({ preventScroll: true }); } else { text.focus({ preventScroll: true }); }
      }).catch(function () {
        setBusy(false);
        status.textContent = main.getAttribute('data-error');
      });
    }

    document.querySelectorAll('form[data-chat-form]').forEach(function (form) {
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        var submitter = event.submitter;
        if (form.id === 'write') {
          var value = text.value;
          text.value = '';
          send({ kind: 'text', value: value }, value || ' ', false);
        } else if (submitter && submitter.name === 'button') {
          send({ kind: 'button', value: submitter.value }, submitter.textContent, true);
        } else if (submitter && submitter.name === 'command') {
          send({ kind: 'command', value: submitter.value }, submitter.textContent, true);
        }
      });
    });
    text.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); document.getElementById('write').requestSubmit(); }
    });
  }

  function fold(value) {
    return value.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\p{L}\p{N}_]+/gu, ' ').trim();
  }

  function filters(form) {
    var offers = document.querySelectorAll('#offers .offer');
    var shown = document.getElementById('shown');
    var params = new URLSearchParams(window.location.search);
    params.forEach(function (value, name) {
      var field = form.elements[name];
      if (!field) { return; }
      if (field.type === 'checkbox') { field.checked = value === '1'; } else { field.value = value; }
    });
    function has(list, value) { return (' ' + list + ' ').indexOf(' ' + value + ' ') >= 0; }
    function apply() {
      var f = form.elements, age = f.age.value === '' ? null : Number(f.age.value), words = fold(f.q.value).split(' ');
      var count = 0;
      offers.forEach(function (o) {
        var d = o.dataset;
        var ok = (!f.municipality.value || has(d.municipality, f.municipality.value)) &&
          (!f.level.value || d.level === f.level.value) && (!f.topic.value || has(d.topics, f.topic.value)) &&
          (age === null || (age >= Number(d.ageMin) && age <= Number(d.ageMax))) &&
          (!f.role.value || has(d.roles, f.role.value)) && (!f.status.value || d.status === f.status.value) &&
          (!f.no_referral.checked || d.referral === '0') &&
          words.every(function (w) { return !w || d.search.indexOf(w) >= 0; });
        o.hidden = !ok;
        if (ok) { count += 1; }
      });
      shown.textContent = shown.getAttribute('data-template').replace('{count}', count);
    }
    form.addEventListener('input', apply);
    form.addEventListener('change', apply);
    form.addEventListener('submit', function (event) { event.preventDefault(); apply(); });
    apply();
  }

  function embed(script) {
    /* <script src="https://guide.example.dk/static/app.js" data-trivselsguiden async></script> */
    var start = script.getAttribute('data-start');
    var frame = document.createElement('iframe');
    frame.src = new URL('../' + (start ? '?start=' + encodeURIComponent(start) : ''), script.src).href;
    frame.title = 'Trivselsguiden';
    frame.style.cssText = 'width:100%;max-width:46rem;height:42rem;border:1px solid #8a8a8a;border-radius:.6rem';
    script.parentNode.insertBefore(frame, script.nextSibling);
  }

  var main = document.getElementById('main');
  var form = document.getElementById('offer-filters');
  if (document.getElementById('log') && main) { chat(main); }
  else if (form) { filters(form); }
  else if (me && me.hasAttribute('data-trivselsguiden')) { embed(me); }
})();
