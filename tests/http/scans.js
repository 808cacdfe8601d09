'use strict';
/*
 * Scanned letters for the post room's tests (HTTP and browser): PDFs written here, with their
 * text in Helvetica, that poppler renders and Tesseract reads as it reads a scanner's page.
 */

/* A PDF of A4 pages, each an array of lines in Helvetica 13 pt (Latin-1 text); [] is a blank
 * page. The xref offsets are computed, so that poppler reads it without repair. */
function pdfOf(pages) {
    const objs = [];
    const esc = (s) => s.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
    const pageIds = [];
    const font = 3;
    objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
    objs[font] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
    let next = 4;
    for (const lines of pages) {
        const content = lines.length
            ? `BT /F1 13 Tf 16 TL 60 780 Td ${lines.map((l) => `(${esc(l)}) Tj T*`).join(' ')} ET`
            : '';
        const cid = next++;
        const pid = next++;
        objs[cid] = `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`;
        objs[pid] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${cid} 0 R >>`;
        pageIds.push(pid);
    }
    objs[2] = `<< /Type /Pages /Kids [${pageIds.map((i) => `${i} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
    let out = '%PDF-1.4\n';
    const offsets = [];
    for (let i = 1; i < objs.length; i++) {
        offsets[i] = Buffer.byteLength(out, 'latin1');
        out += `${i} 0 obj\n${objs[i]}\nendobj\n`;
    }
    const xref = Buffer.byteLength(out, 'latin1');
    out += `xref\n0 ${objs.length}\n0000000000 65535 f \n`;
    for (let i = 1; i < objs.length; i++) out += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
    out += `trailer\n<< /Size ${objs.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
    return Buffer.from(out, 'latin1');
}

const letter = (name, email, extra = []) => [
    name, '12 rue des Lilas', '69003 Lyon', `Courriel : ${email}`, 'Telephone : 06 12 34 56 78', '',
    'Mairie de Demo', '1 place de la Mairie', '69000 Demo', '',
    'Objet : trottoir abime', '', 'Madame, Monsieur,',
    'Le trottoir devant chez moi est abime depuis un mois.', ...extra,
    'Veuillez agreer mes salutations distinguees.'];

/* Waits until letter id has left the state "queued" (the OCR job ran); its state. */
async function letterRead(srv, id, timeoutMs = 90000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const state = srv.sql(`SELECT state FROM post_letters WHERE id = ${id}`).trim();
        if (state && state !== 'queued') return state;
        if (Date.now() >= deadline) throw new Error(`letter ${id} still ${state || 'absent'} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

module.exports = { pdfOf, letter, letterRead };
