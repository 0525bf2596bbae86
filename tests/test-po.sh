#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# test-po.sh SRCDIR: the translations are complete. Every source file with
# translatable strings (src/console/*.c with _() and friends, data/ui/*.ui
# with translatable="yes", the desktop entry, the metainfo and the schema)
# is listed in po/POTFILES.in, and every string xgettext finds in those
# files is translated in each po/LINGUAS catalogue, none fuzzy. TAP output.
set -u
srcdir=${1:?usage: test-po.sh SRCDIR}
cd "$srcdir" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
failed=0

grep -v '^#' po/POTFILES.in | sed '/^[[:space:]]*$/d' | sort -u > "$tmp/listed"

# Files that hold translatable strings.
{
  grep -lE '(^|[^A-Za-z0-9_])(N?C?_|g_dn?c?gettext|g_dpgettext2?|ngettext)[[:space:]]*\(' src/console/*.c
  grep -l 'translatable="yes"' data/ui/*.ui
  ls data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml
} 2>/dev/null | sort -u > "$tmp/have"

missing=$(comm -23 "$tmp/have" "$tmp/listed")
if [ -z "$missing" ]; then
  ok "every file with translatable strings is in po/POTFILES.in"
else
  for f in $missing; do echo "# $f has translatable strings but is not in po/POTFILES.in"; done
  not_ok "every file with translatable strings is in po/POTFILES.in"
fi

gone=$(while read -r f; do [ -e "$f" ] || echo "$f"; done < "$tmp/listed")
if [ -z "$gone" ]; then
  ok "every file in po/POTFILES.in exists"
else
  for f in $gone; do echo "# $f is in po/POTFILES.in but does not exist"; done
  not_ok "every file in po/POTFILES.in exists"
fi

# The strings, as meson's glib preset extracts them.
if [ -n "$gone" ] || ! xgettext --package-name=perch --from-code=UTF-8 --add-comments \
     --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
     --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
     --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
     --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
     --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
     --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
     --files-from="$tmp/listed" --output="$tmp/perch.pot" 2> "$tmp/xgettext.err"; then
  sed 's/^/# /' "$tmp/xgettext.err"
  not_ok "xgettext extracts the strings"
  echo "1..$n"; exit 1
fi
ok "xgettext extracts the strings ($(grep -c '^msgid ' "$tmp/perch.pot") entries)"

for lang in $(sed 's/#.*//' po/LINGUAS); do
  # ko.po brought up to date with the sources: any new or changed string
  # shows up as untranslated or fuzzy.
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "po/$lang.po" "$tmp/perch.pot" 2>&1 | sed 's/^/# /'
  if ! stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1); then
    echo "$stats" | sed 's/^/# /'
    not_ok "po/$lang.po is valid (msgfmt --check)"
    continue
  fi
  echo "# $lang: $stats"
  case "$stats" in
    *fuzzy*|*untranslated*)
      msgattrib --untranslated --only-fuzzy "$tmp/$lang.po" 2>/dev/null | sed 's/^/# /' | head -40
      msgattrib --untranslated "$tmp/$lang.po" | grep '^msgid ' | sed 's/^/# untranslated: /' | head -40
      not_ok "po/$lang.po translates every string, none fuzzy" ;;
    *) ok "po/$lang.po translates every string, none fuzzy" ;;
  esac
  # Strings the sources no longer have are only reported: msgmerge drops them.
  obsolete=$(msgattrib --only-obsolete "$tmp/$lang.po" | grep -c '^#~ msgid ' || true)
  [ "$obsolete" -eq 0 ] || echo "# po/$lang.po has $obsolete obsolete entries (run ninja perch-update-po)"
done

echo "1..$n"
exit $failed
