/*
 * backoffice.js — small enhancements of the agents' pages; everything works without it.
 * Keyboard shortcuts (documented on the page under «Raccourcis clavier»):
 *   inbox:   j / k next / previous row, o or Enter open it, ? help
 *   request: r reply, c reply and close (status «resolved», focus on the template),
 *            a assign, Ctrl+Enter submit the processing form, ? help
 * A reply template chosen in the list fills the reply box (the server fills it too when the
 * box is left empty). On /agent/terrain, «Utiliser ma position» fills latitude/longitude.
 */
(function () {
    'use strict';

    function typing(el) {
        if (!el) return false;
        var tag = el.tagName;
        return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
    }

    var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-row]'));
    var current = -1;

    function select(i) {
        if (!rows.length) return;
        if (i < 0) i = 0;
        if (i >= rows.length) i = rows.length - 1;
        if (current >= 0 && rows[current]) rows[current].removeAttribute('aria-selected');
        current = i;
        var link = rows[i].querySelector('a[data-open]');
        rows[i].setAttribute('aria-selected', 'true');
        if (link) link.focus();
    }

    function focusField(id) {
        var el = document.getElementById(id);
        if (!el) return false;
        el.scrollIntoView({ block: 'center' });
        el.focus();
        return true;
    }

    function openSelected(hash) {
        var row = rows[current >= 0 ? current : 0];
        if (row && row.getAttribute('data-url')) {
            window.location.href = row.getAttribute('data-url') + (hash || '');
        }
    }

    var processForm = document.querySelector('form[data-process]');

    document.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && processForm &&
            processForm.contains(document.activeElement)) {
            ev.preventDefault();
            if (processForm.requestSubmit) processForm.requestSubmit();
            else processForm.submit();
            return;
        }
        if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(document.activeElement)) return;
        var k = ev.key;
        if (k === '?') {
            var help = document.getElementById('raccourcis');
            if (help) {
                help.open = !help.open;
                if (help.open) help.querySelector('summary').focus();
            }
            ev.preventDefault();
            return;
        }
        if (rows.length) {
            if (k === 'j') { select(current + 1); ev.preventDefault(); return; }
            if (k === 'k') { select(current - 1); ev.preventDefault(); return; }
            if (k === 'o') { openSelected(''); ev.preventDefault(); return; }
            if (k === 'a') { openSelected('#assigner'); ev.preventDefault(); return; }
            if (k === 'r') { openSelected('#reponse'); ev.preventDefault(); return; }
            if (k === 'c') { openSelected('#cloturer'); ev.preventDefault(); return; }
            if (k === 'p') {
                /* «Je prends»: the selected row's button, when it has one. */
                var row = rows[current >= 0 ? current : 0];
                var takeRow = row && row.querySelector('[data-take]');
                if (takeRow) { takeRow.click(); ev.preventDefault(); return; }
            }
        }
        var take = document.getElementById('prendre');
        if (k === 'p' && take) { take.click(); ev.preventDefault(); return; }
        if (processForm) {
            if (k === 'r' && focusField('reponse')) { ev.preventDefault(); return; }
            if (k === 'a' && focusField('assigner')) { ev.preventDefault(); return; }
            if (k === 'c') { closeMode(); ev.preventDefault(); }
        }
    });

    /* «Reply and close»: status resolved, then the template list (or the reply box). */
    function closeMode() {
        var st = document.getElementById('statut');
        if (st) {
            for (var i = 0; i < st.options.length; i++) {
                if (st.options[i].value === 'resolved') st.selectedIndex = i;
            }
        }
        if (!focusField('modele')) focusField('reponse');
    }

    if (processForm) {
        var tpl = document.getElementById('modele');
        var reply = document.getElementById('reponse');
        if (tpl && reply) {
            var filled = '';
            /* ↑/↓ move through the templates without opening the list (browsers differ:
             * some open a popup), so that choosing one is a single keystroke everywhere. */
            tpl.addEventListener('keydown', function (ev) {
                if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
                var step = ev.key === 'ArrowDown' ? 1 : ev.key === 'ArrowUp' ? -1 : 0;
                if (!step) return;
                var i = tpl.selectedIndex + step;
                if (i < 0 || i >= tpl.options.length) return;
                ev.preventDefault();
                tpl.selectedIndex = i;
                tpl.dispatchEvent(new Event('change'));
            });
            tpl.addEventListener('change', function () {
                var opt = tpl.options[tpl.selectedIndex];
                var body = opt ? opt.getAttribute('data-body') : '';
                /* Only replace what a previous template put there, never the agent's text. */
                if (reply.value === '' || reply.value === filled) {
                    reply.value = body || '';
                    filled = reply.value;
                }
            });
        }
        var hash = window.location.hash;
        if (hash === '#reponse') focusField('reponse');
        else if (hash === '#assigner') focusField('assigner');
        else if (hash === '#cloturer') closeMode();
    }

    var geo = document.querySelector('form[data-geoloc]');
    if (geo && navigator.geolocation) {
        var btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'btn btn--secondary';
        btn.textContent = document.documentElement.lang === 'en' ? 'Use my position'
                                                                   : 'Utiliser ma position';
        btn.addEventListener('click', function () {
            navigator.geolocation.getCurrentPosition(function (pos) {
                geo.querySelector('#lat').value = pos.coords.latitude.toFixed(6);
                geo.querySelector('#long').value = pos.coords.longitude.toFixed(6);
                geo.submit();
            });
        });
        var actions = geo.querySelector('.form-actions');
        if (actions) actions.appendChild(btn);
    }
}());
