'use strict';
/*
 * Keyboard only: from the home page to the confirmation of a démarche with Tab, typing,
 * Space, the arrow keys and Enter — no mouse click anywhere — checking at every stop that
 * the focus can be seen (an outline or a shadow on the focused element, :focus-visible).
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./flows');

/* What the keyboard has focused: enough to decide what to do with it. */
async function focused(page) {
    const st = await B.focusStyle(page);
    if (!st) return null;
    const more = await page.evaluate(() => {
        const el = document.activeElement;
        const form = el.closest('main form');
        let label = '';
        if (el.labels && el.labels.length) label = Array.from(el.labels).map((l) => l.textContent).join(' ');
        const fs = el.closest('fieldset');
        if (fs && fs.querySelector('legend')) label += ' ' + fs.querySelector('legend').textContent;
        return {
            href: el.getAttribute('href'),
            inForm: !!form && form.method.toLowerCase() === 'post',
            value: el.value,
            checked: el.checked,
            required: el.required || el.getAttribute('aria-required') === 'true',
            label: label.replace(/\s+/g, ' ').trim(),
            options: el.tagName === 'SELECT' ? Array.from(el.options).map((o) => ({ v: o.value, t: o.text })) : null,
            buttonName: el.getAttribute('name'),
            inputmode: el.getAttribute('inputmode') || '',
            text: (el.innerText || el.value || '').trim(),
        };
    });
    return Object.assign(st, more);
}

/* Tab until pred(focused) holds (at most `max` presses); every stop must show its focus. */
async function tabTo(page, pred, what, max = 250) {
    const stops = [];
    for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const f = await focused(page);
        if (!f) continue;
        stops.push(f);
        assert.ok(B.focusVisible(f), `no visible focus on <${f.tag}${f.id ? ' id=' + f.id : ''}${f.name ? ' name=' + f.name : ''}> "${f.text.slice(0, 40)}" at ${page.url()}: outline ${f.outlineStyle} ${f.outlineWidth}px ${f.outlineColor}, box-shadow ${f.boxShadow}`);
        if (pred(f)) return f;
    }
    throw new Error(`${what}: not reached after ${max} Tab presses on ${page.url()} (stops: ${stops.map((s) => s.tag + (s.name ? '[' + s.name + ']' : '')).join(' ')})`);
}

/* Fills the focused field with the keyboard; returns true when it did something. */
async function typeInto(page, f, ctx) {
    if (f.tag === 'select') {
        if (f.value) return false;
        await page.keyboard.press('ArrowDown');
        const v = await page.evaluate(() => document.activeElement.value);
        assert.ok(v, `ArrowDown did not choose an option in select[name=${f.name}]`);
        return true;
    }
    if (f.type === 'radio') {
        /* Tab enters a group on its checked or first radio; Space checks it. */
        if (!f.checked) await page.keyboard.press('Space');
        return true;
    }
    if (f.type === 'checkbox') {
        if (!f.checked && (f.required || /consent|accept|cgu|rgpd/.test(`${f.name} ${f.label}`.toLowerCase()))) {
            await page.keyboard.press('Space');
            return true;
        }
        return false;
    }
    if (f.type === 'file') return false;
    if (['input', 'textarea'].includes(f.tag) && !f.value) {
        const v = F.sampleFor({ type: f.type || 'text', name: f.name || '', id: f.id || '', label: f.label, tag: f.tag, inputmode: f.inputmode || '' }, ctx);
        if (v) await page.keyboard.type(v);
        return true;
    }
    return false;
}

const isForward = (f) => f.inForm && (f.tag === 'button' || f.type === 'submit') && f.buttonName !== 'goto' &&
    !/pr[ée]c[ée]dent|modifier|previous|edit/i.test(f.text);

describe('keyboard only', () => {
    let env;
    before(async () => {
        env = await B.start();
    });
    after(async () => {
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('skip link first, then a whole démarche with Tab, typing, Space and Enter, focus always visible', async () => {
        const page = await env.newPage();
        await B.goto(page, `${env.srv.url}/`);

        /* The first Tab stop is the skip link; Enter takes the focus to the main content. */
        await page.keyboard.press('Tab');
        const skip = await focused(page);
        assert.ok(skip && skip.tag === 'a' && /^#/.test(skip.href || ''), `the first Tab stop is not a skip link: ${JSON.stringify(skip)}`);
        assert.ok(B.focusVisible(skip), 'the skip link shows no focus');
        assert.ok(await page.evaluate(() => {
            const a = document.activeElement;
            const r = a.getBoundingClientRect();
            return r.width > 1 && r.height > 1 && r.top >= 0;
        }), 'the focused skip link is not on screen');
        await page.keyboard.press('Enter');
        const target = skip.href.slice(1);
        const inMain = await page.evaluate((id) => {
            const t = document.getElementById(id);
            return !!t && (t === document.activeElement || t.contains(document.activeElement));
        }, target);
        assert.ok(inMain, `Enter on the skip link did not move the focus to #${target}`);

        /* To the procedure through the catalogue. */
        await tabTo(page, (f) => f.href === '/demarches/question-generale', 'the link to question-generale');
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        assert.match(page.url(), /\/demarches\/question-generale/);

        const ctx = { email: 'clavier@example.org', text: 'Question posée au clavier : où déposer mes encombrants ?' };
        for (let step = 0; step < 8 && !/\/confirmation\//.test(page.url()); step++) {
            let filled = 0;
            const seenRadioGroups = new Set();
            for (let i = 0; i < 120; i++) {
                const f = await tabTo(page, (x) => x.inForm, `a field of step ${step + 1}`);
                if (isForward(f)) {
                    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
                    break;
                }
                if (f.type === 'radio') {
                    if (seenRadioGroups.has(f.name)) continue;
                    seenRadioGroups.add(f.name);
                }
                if (await typeInto(page, f, ctx)) filled++;
            }
            const err = await F.errorSummary(page);
            assert.equal(err, null, `step ${step + 1} answered errors after keyboard entry (${filled} fields): ${err && err.text}`);
        }
        const conf = await F.confirmationOf(page);
        const stored = env.srv.sql(`SELECT description FROM requests WHERE reference = '${conf.reference}'`);
        assert.match(stored, /encombrants/);

        /* The tracking link of the confirmation, reached and followed with the keyboard. */
        await tabTo(page, (f) => f.tag === 'a' && /\/suivi\//.test(f.href || ''), 'the tracking link');
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        assert.ok((await page.locator('main').innerText()).includes(conf.reference));
    });

    it('an error summary is reached and followed with the keyboard', async () => {
        const page = await env.newPage();
        await B.goto(page, `${env.srv.url}/demarches/question-generale`);
        const f = await tabTo(page, isForward, 'the Continue button');
        assert.ok(f);
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        const err = await F.errorSummary(page);
        assert.ok(err, 'no error summary after an empty submission');
        /* The summary has the focus: the next Tab goes to its first link. */
        await page.keyboard.press('Tab');
        const link = await focused(page);
        assert.equal(link.href, err.links[0], 'Tab from the focused summary does not reach its first link');
        assert.ok(B.focusVisible(link));
        await page.keyboard.press('Enter');
        const id = decodeURIComponent(err.links[0].slice(1));
        const ok = await page.evaluate((i) => {
            const t = document.getElementById(i);
            return !!t && (t === document.activeElement || t.contains(document.activeElement));
        }, id);
        assert.ok(ok, `Enter on ${err.links[0]} did not move the focus to the field`);
    });
});
