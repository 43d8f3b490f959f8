/*
 * browser_check.js — run inside a real browser on a copy of an asbench page
 * (report.html, history.html), inserted before the page's own script by
 * report_test.sh, which sets window.CHECK first:
 *   {table, sortColumn, filterColumn, figures}  figures: a CSS selector of
 *   the overview's pictures (heatmap images, trend charts)
 * Once the page has loaded it uses the page as a reader would (clicks a
 * header, picks a filter value, types a search) and writes one
 * "PASS what" / "FAIL what" line per check into <pre id="browser-check">,
 * which `chromium --dump-dom` prints; errors thrown by the page are FAILs.
 */
"use strict";
window.pageErrors = [];
window.addEventListener("error", e => window.pageErrors.push(String(e.message)));

window.addEventListener("load", () => setTimeout(() => {
  const out = [];
  const check = (ok, what) => out.push((ok ? "PASS " : "FAIL ") + what);
  const c = window.CHECK;
  try {
    const figures = Array.from(document.querySelectorAll(c.figures));
    check(figures.length > 0, "overview figures present (" + c.figures + ": " + figures.length + ")");
    check(figures.every(f => f.tagName !== "IMG" || (f.complete && f.naturalWidth > 0)),
          "every overview image loaded");

    const table = document.getElementById(c.table);
    const headers = Array.from(table.tHead.rows[0].cells);
    const col = headers.findIndex(th => th.textContent.trim() === c.sortColumn);
    check(col >= 0, "column '" + c.sortColumn + "' in table " + c.table);
    const values = () => Array.from(table.tBodies[0].rows, r => r.cells[col].getAttribute("data-v"))
      .filter(v => v !== null && v !== "").map(Number);
    const sorted = (v, sign) => v.every((x, i) => i === 0 || sign * (x - v[i - 1]) >= 0);
    const before = values();
    headers[col].click();
    const up = values();
    check(up.length >= 2 && sorted(up, 1), "click on '" + c.sortColumn + "' sorts ascending (" + up.length + " rows)");
    check(before.slice().sort((a, b) => a - b).join() === up.join(), "sorting keeps every row");
    headers[col].click();
    check(sorted(values(), -1), "a second click sorts descending");

    const rows = Array.from(table.tBodies[0].rows);
    const select = document.querySelector("select.filter-" + c.filterColumn);
    check(select && select.options.length > 2, "a filter select for '" + c.filterColumn + "'");
    const fcol = headers.findIndex(th => th.textContent.trim() === c.filterColumn);
    const value = select.options[1].value;
    select.value = value;
    select.dispatchEvent(new Event("change"));
    const shown = rows.filter(r => !r.hidden);
    check(shown.length > 0 && shown.length < rows.length, "filter " + c.filterColumn + "=" + value + " hides rows (" +
          shown.length + " of " + rows.length + " shown)");
    check(shown.every(r => r.cells[fcol].textContent.trim() === value), "the rows shown all have " + value);
    select.value = "";
    select.dispatchEvent(new Event("change"));
    check(rows.every(r => !r.hidden), "filter 'all' shows every row again");
    const search = document.querySelector(".filter-text");
    search.value = "no-such-text-anywhere";
    search.dispatchEvent(new Event("input"));
    check(rows.every(r => r.hidden), "a search without a match hides every row");
    search.value = "";
    search.dispatchEvent(new Event("input"));
  } catch (e) {
    check(false, "exception in the check: " + e);
  }
  check(window.pageErrors.length === 0, "no error thrown by the page " + window.pageErrors.join("; "));
  const pre = document.createElement("pre");
  pre.id = "browser-check";
  pre.textContent = "\n" + out.join("\n") + "\nDONE\n";
  document.body.appendChild(pre);
}, 0));
