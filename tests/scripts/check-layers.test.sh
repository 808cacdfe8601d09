#!/usr/bin/env bash
# Tests of scripts/check-layers on trees of its own (temporary directories): a tree breaking
# each rule once must fail and name each offending file:line with its rule; a clean tree
# (with every allowed case: a lower layer, the shared web layer, store/records.h, the command
# line's opening of the database, a header found beside its file) must pass silently.
# Prints "ok"/"not ok" per case and ends with "N passed, N failed"; exits 1 on a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
check=$PWD/scripts/check-layers

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }

work=$(mktemp -d "${TMPDIR:-/tmp}/check-layers-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# put ROOT PATH LINE...: writes a file of the tree, one argument a line.
put() {
    local root=$1 path=$2
    shift 2
    mkdir -p "$(dirname "$root/$path")"
    printf '%s\n' "$@" >"$root/$path"
}

# A clean tree: every include allowed.
clean=$work/clean
put "$clean" src/util/buf.h '#include <stddef.h>'
put "$clean" src/store/store.h '#include "util/buf.h"' '#include "store/records.h"'
put "$clean" src/store/records.h '#include "util/buf.h"'
put "$clean" src/store/sqlite/sqlite.c '#include "store/store.h"' '#include "sqlite_internal.h"'
put "$clean" src/store/sqlite/sqlite_internal.h '#include "store/store.h"'
put "$clean" src/core/core.h '#include "store/store.h"'
put "$clean" src/core/request.c '#include "core/core.h"' '#include "util/buf.h"'
put "$clean" src/docs/letter.h '#include "util/buf.h"' '#include "store/records.h"'
put "$clean" src/core/document.c '#include "core/core.h"' '#include "docs/letter.h"'
put "$clean" src/http/http.h '#include "core/core.h"' '#include "store/records.h"'
put "$clean" src/channels/mail/mail.c '#include "core/core.h"'
put "$clean" src/workers/scheduler.c '#include "core/core.h"'
put "$clean" src/web/web.h '#include "http/http.h"' '#include "store/records.h"'
put "$clean" src/web/portal/portal.h '#include "web/web.h"'
put "$clean" src/web/portal/files.c '#include "web/portal/portal.h"' '#include "core/core.h"'
put "$clean" src/web/backoffice/bo.c '#include "web/web.h"'
put "$clean" src/api/rest/rest.c '#include "http/http.h"' '#include "core/core.h"'
put "$clean" src/cli/session.h '#include "store/store.h"'
put "$clean" src/cli/session.c '#include "cli/session.h"' '#include "store/store.h"' \
    'void open_db(void) { s = store_open(path, &err); }'
put "$clean" src/cli/commands.c '#include "web/portal/portal.h"' '#include "api/rest/rest.h"' \
    '#include "cli/session.h"' '#include <stdio.h>' '#include "not/in/the/tree.h"'
put "$clean" src/api/rest/rest.h '#include "http/http.h"'
put "$clean" src/main.c '#include "cli/session.h"'

out=$("$check" "$clean" 2>&1)
rc=$?
if ((rc == 0)) && [ -z "$out" ]; then ok "a clean tree passes silently"; else not_ok "a clean tree passes silently (exit $rc): $out"; fi

# The same tree with one violation of each kind.
bad=$work/bad
cp -r "$clean" "$bad"
put "$bad" src/core/request.c '#include "core/core.h"' '#include "web/web.h"'
put "$bad" src/store/store.h '#include "util/buf.h"' '#include "core/core.h"'
put "$bad" src/http/server.c '#include "http/http.h"' '#include "web/portal/portal.h"'
put "$bad" src/web/web.c '#include "web/web.h"' '#include "web/backoffice/bo.h"'
put "$bad" src/web/backoffice/bo.h '#include "web/web.h"'
put "$bad" src/web/portal/files.c '#include "web/portal/portal.h"' '#include "web/backoffice/bo.h"'
put "$bad" src/api/rest/rest.c '#include "http/http.h"' '#include "api/open311/open311.h"'
put "$bad" src/api/open311/open311.h '#include "http/http.h"'
put "$bad" src/web/portal/tracking.c '#include "web/web.h"' '#include "store/store.h"'
put "$bad" src/cli/demo.c '#include "store/store.h"' 'void demo(void) { core_do(); }'
put "$bad" src/extra/thing.c '#include "util/buf.h"'
put "$bad" src/core/core.c '#include "core/core.h"' '#include "store/sqlite/sqlite_internal.h"'
put "$bad" src/docs/pdf.c '#include "docs/letter.h"' '#include "core/core.h"'
put "$bad" src/docs/letter.c '#include "docs/letter.h"' '#include "store/store.h"'

out=$("$check" "$bad" 2>&1)
rc=$?
if ((rc == 1)); then ok "a tree with violations fails with exit 1"; else not_ok "a tree with violations fails with exit 1 (got $rc): $out"; fi

# expect NAME PATTERN: the output has a line matching PATTERN (grep -E).
expect() {
    if grep -Eq -- "$2" <<<"$out"; then ok "$1"; else not_ok "$1: no line matching «$2» in:
$out"; fi
}
expect "(a) core includes the web layer" '^src/core/request\.c:2: \(a\) .*web/web\.h'
expect "(a) the store includes core" '^src/store/store\.h:2: \(a\) .*core/core\.h'
expect "(a) http includes an entrance" '^src/http/server\.c:2: \(a\) .*web/portal/portal\.h'
expect "(a) the shared web layer includes an entrance" '^src/web/web\.c:2: \(a\) .*web/backoffice/bo\.h'
expect "(a) a file outside the layer table" '^src/extra/thing\.c:1: \(a\) .*outside the layer table'
expect "(b) the portal includes the back office" '^src/web/portal/files\.c:2: \(b\) .*web/portal.*web/backoffice'
expect "(b) the JSON API includes Open311" '^src/api/rest/rest\.c:2: \(b\) .*api/rest.*api/open311'
expect "(c) a page includes store/store.h" '^src/web/portal/tracking\.c:2: \(c\) .*store/store\.h'
expect "(c) a CLI file that does not open the database" '^src/cli/demo\.c:1: \(c\) .*store/store\.h'
expect "(c) core includes the store's backend" '^src/core/core\.c:2: \(c\) .*store/sqlite/sqlite_internal\.h'
expect "(a) the documents' layer includes core" '^src/docs/pdf\.c:2: \(a\) .*core/core\.h'
expect "(c) the documents' layer includes store/store.h" '^src/docs/letter\.c:2: \(c\) .*store/store\.h'
n=$(grep -c . <<<"$out")
if ((n == 12)); then ok "exactly the 12 violations are listed"; else not_ok "exactly the 12 violations are listed (got $n):
$out"; fi

# The repository's own tree runs through it without a script error (exit 0 or 1, never 2).
"$check" >/dev/null 2>&1
rc=$?
if ((rc == 0 || rc == 1)); then ok "runs on the repository (exit $rc)"; else not_ok "runs on the repository (exit $rc)"; fi

echo "$passed passed, $failed failed"
((failed == 0))
