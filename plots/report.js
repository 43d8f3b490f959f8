/*
 * report.js — the behaviour of asbench's HTML pages (report.html and the
 * history page), inlined into each by the harness: no network, no library.
 *   table.sortable      a click on a header sorts by that column (numbers
 *                       by the cell's data-v, else text), again reverses
 *   div.filters         data-table=ID data-columns="name …": one select per
 *                       named column, and an optional text search, hide rows
 *   details.chart       data-src: the chart's image is loaded when opened
 *   #env-json           env.json, drawn as nested tables into #env-view
 */
"use strict";

function cellValue(row, index) {
  const cell = row.cells[index];
  if (!cell) return "";
  return cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
}

function sortTable(table, index, header) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const numeric = rows.every(r => { const v = cellValue(r, index); return v === "" || !isNaN(Number(v)); });
  const descending = header.classList.contains("sorted-asc");
  const key = r => numeric ? (cellValue(r, index) === "" ? Infinity : Number(cellValue(r, index)))
                           : cellValue(r, index).toLowerCase();
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  });
  for (const th of table.tHead.rows[0].cells) th.classList.remove("sorted-asc", "sorted-desc");
  header.classList.add(descending ? "sorted-desc" : "sorted-asc");
  for (const r of rows) body.appendChild(r);
}

function columnIndex(table, name) {
  return Array.from(table.tHead.rows[0].cells).findIndex(th => th.textContent.trim() === name);
}

function setUpFilters(box) {
  const table = document.getElementById(box.dataset.table);
  if (!table) return;
  const text = box.querySelector(".filter-text");
  const selects = [];
  for (const name of (box.dataset.columns || "").split(" ").filter(Boolean)) {
    const index = columnIndex(table, name);
    if (index < 0) continue;
    const values = Array.from(new Set(Array.from(table.tBodies[0].rows, r => r.cells[index].textContent.trim())));
    values.sort((a, b) => (isNaN(a) || isNaN(b)) ? a.localeCompare(b) : Number(a) - Number(b));
    const select = document.createElement("select");
    select.className = "filter-" + name;
    select.add(new Option("all", ""));
    for (const v of values) select.add(new Option(v, v));
    const label = document.createElement("label");
    label.append(name + " ", select);
    box.insertBefore(label, text ? text.closest("label") : null);
    selects.push({ select, index });
  }
  const apply = () => {
    const words = text ? text.value.trim().toLowerCase().split(/\s+/).filter(Boolean) : [];
    for (const row of table.tBodies[0].rows) {
      const content = row.textContent.toLowerCase();
      row.hidden = !selects.every(s => !s.select.value || row.cells[s.index].textContent.trim() === s.select.value) ||
                   !words.every(w => content.includes(w));
    }
  };
  for (const s of selects) s.select.addEventListener("change", apply);
  if (text) text.addEventListener("input", apply);
}

function renderJson(value) {
  if (value === null || typeof value !== "object") return document.createTextNode(String(value));
  const table = document.createElement("table");
  for (const [k, v] of Object.entries(value)) {
    const row = table.insertRow();
    row.insertCell().textContent = Array.isArray(value) ? "#" + k : k;
    row.insertCell().appendChild(renderJson(v));
  }
  return table;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.sortable"))
    for (const [index, th] of Array.from(table.tHead.rows[0].cells).entries())
      th.addEventListener("click", () => sortTable(table, index, th));
  for (const box of document.querySelectorAll("div.filters")) setUpFilters(box);
  for (const d of document.querySelectorAll("details.chart"))
    d.addEventListener("toggle", () => {
      if (!d.open || d.querySelector("img")) return;
      const img = document.createElement("img");
      img.src = d.dataset.src;
      img.alt = d.dataset.src;
      d.appendChild(img);
    });
  const env = document.getElementById("env-json");
  const view = document.getElementById("env-view");
  if (env && view) {
    const data = JSON.parse(env.textContent);
    if (data.noise) {
      const h = document.createElement("h3");
      h.textContent = "Noise around the run";
      view.append(h, renderJson(data.noise));
      delete data.noise;
    }
    const h = document.createElement("h3");
    h.textContent = "Machine, build and settings";
    view.append(h, renderJson(data));
  }
});
