'use strict';
/*
 * The areas' page (/agent/admin/zones) in a real Chromium: an outline drawn with the mouse
 * (clicks on the map, a vertex dragged) and one drawn from the keyboard (the map panned with
 * the arrow keys, vertices added at its centre) fill the GeoJSON field the form posts, and
 * the areas are saved with those outlines; a refused outline shows its message; a manager
 * sees the areas on the map without the tools; axe-core finds no WCAG 2.1 A/AA violation on
 * the page, empty form, refused, editing or read only.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const B = require('./browser');
const F = require('./bo_flows');

describe('the areas\' page', () => {
    let env;
    let srv;
    let page;
    let last;
    const results = [];

    const check = async (label) => {
        const r = await B.assertAccessible(page, label, { response: last });
        results.push(`${label}: 0 violations, ${r.bytes} bytes`);
    };
    const submit = async () => {
        [last] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                                    page.locator('form[aria-labelledby="form-title"] button[type=submit]').click()]);
        return last;
    };
    const outline = async () => JSON.parse(await page.locator('#geojson').inputValue());

    before(async () => {
        env = await B.start({ server: { requests: 0 } });
        srv = env.srv;
        const admin = F.addAgent(srv, { email: `zones.admin.${process.pid}@ville-demo.test`, name: 'Admin Zones', role: 'admin' });
        page = await env.newPage();
        await F.loginPage(page, srv, admin);
    });
    after(async () => {
        if (results.length) console.log(`axe results:\n  ${results.join('\n  ')}`);
        if (env) assert.equal(await env.stop(), 0, 'guichet did not exit cleanly (status above)');
    });

    it('draws an outline with the mouse, drags a vertex, and saves it', async () => {
        last = await B.goto(page, `${srv.url}/agent/admin/zones`, 200);
        await check('areas, empty form');
        const map = page.locator('#zone-map');
        assert.equal(await map.isVisible(), true, 'the map is shown');
        await map.scrollIntoViewIfNeeded();
        /* The collectivité's areas are outlined (the demo has seven), the drawing not yet. */
        const areas = Number(srv.sql('SELECT count(*) FROM areas;').trim());
        assert.ok(areas > 0);
        assert.ok(await page.locator('#zone-map svg path').count() >= areas, 'each area is outlined');
        const box = await map.boundingBox();
        for (const [x, y] of [[0.3, 0.3], [0.7, 0.3], [0.7, 0.7], [0.3, 0.7]])
            await page.mouse.click(box.x + box.width * x, box.y + box.height * y);
        let g = await outline();
        assert.equal(g.type, 'Polygon');
        assert.equal(g.coordinates[0].length, 5, 'four vertices and the closing one');
        assert.deepEqual(g.coordinates[0][0], g.coordinates[0][4]);
        assert.match(await page.locator('#zone-status').textContent(), /4 sommet/);
        /* The third vertex dragged outwards moves the outline's third position. */
        const before = g.coordinates[0][2];
        const marker = page.locator('.leaflet-marker-icon').nth(2);
        const mb = await marker.boundingBox();
        await page.mouse.move(mb.x + mb.width / 2, mb.y + mb.height / 2);
        await page.mouse.down();
        await page.mouse.move(mb.x + mb.width / 2 + 40, mb.y + mb.height / 2 + 30, { steps: 5 });
        await page.mouse.up();
        g = await outline();
        assert.ok(g.coordinates[0][2][0] > before[0] && g.coordinates[0][2][1] < before[1], 'the vertex moved east and south');

        await page.selectOption('#kind', 'quartier');
        await page.locator('#code').fill('dessin-souris');
        await page.locator('#name').fill('Dessin à la souris');
        await submit();
        assert.equal(last.status(), 200);
        assert.match(new URL(page.url()).search, /fait=zone_saved/);
        assert.equal(srv.sql("SELECT vertices FROM areas WHERE code = 'dessin-souris';").trim(), '5');
    });

    it('draws an outline from the keyboard, and shows a refusal beside the field', async () => {
        last = await B.goto(page, `${srv.url}/agent/admin/zones`, 200);
        /* Three vertices: the map's centre, then after panning right, then down. */
        await page.locator('#zone-add').focus();
        await page.keyboard.press('Enter');
        await page.locator('#zone-map').focus();
        for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
        await page.waitForTimeout(800); /* the pans' animation */
        await page.locator('#zone-add').focus();
        await page.keyboard.press('Enter');
        await page.locator('#zone-map').focus();
        for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
        await page.waitForTimeout(800);
        await page.locator('#zone-add').focus();
        await page.keyboard.press('Enter');
        const g = await outline();
        assert.equal(g.coordinates[0].length, 4, 'three vertices and the closing one');
        const [a, b, c] = g.coordinates[0];
        assert.ok(b[0] > a[0], 'the second vertex is east of the first');
        assert.ok(c[1] < b[1], 'the third is south of the second');
        /* «Retirer le dernier sommet» empties the field below three vertices. */
        await page.locator('#zone-undo').focus();
        await page.keyboard.press('Enter');
        assert.equal(await page.locator('#geojson').inputValue(), '');
        await page.locator('#zone-add').focus();
        await page.keyboard.press('Enter');

        await page.locator('#code').fill('dessin-clavier');
        await page.locator('#name').fill('');
        await submit();
        assert.equal(last.status(), 400);
        assert.equal(await page.locator('.error-summary a[href="#name"]').count(), 1);
        assert.equal(await page.locator('#name').getAttribute('aria-invalid'), 'true');
        assert.equal((await outline()).coordinates[0].length, 4, 'the outline typed is kept');
        await check('areas, a refusal');
        await page.locator('#name').fill('Dessin au clavier');
        await submit();
        assert.equal(last.status(), 200);
        assert.equal(srv.sql("SELECT vertices FROM areas WHERE code = 'dessin-clavier';").trim(), '4');

        const id = srv.sql("SELECT id FROM areas WHERE code = 'dessin-clavier';").trim();
        last = await B.goto(page, `${srv.url}/agent/admin/zones?modifier=${id}`, 200);
        await check('areas, editing');
    });

    it('shows a manager the areas on the map, without the drawing tools', async () => {
        const manager = F.addAgent(srv, { email: `zones.resp.${process.pid}@ville-demo.test`, name: 'Resp Zones', role: 'manager' });
        const other = await env.newPage();
        await F.loginPage(other, srv, manager);
        const previous = page;
        page = other;
        last = await B.goto(page, `${srv.url}/agent/admin/zones`, 200);
        assert.equal(await page.locator('#zone-map').isVisible(), true, 'the map is shown');
        const areas = Number(srv.sql('SELECT count(*) FROM areas;').trim());
        assert.ok(await page.locator('#zone-map svg path').count() >= areas, 'each area is outlined');
        assert.equal(await page.locator('#zone-tools').count(), 0, 'no drawing tools');
        assert.equal(await page.locator('form').filter({ has: page.locator('#geojson') }).count(), 0, 'no form');
        await check('areas, read only');
        page = previous;
    });
});
