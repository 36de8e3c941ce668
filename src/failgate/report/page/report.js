// failgate report: tooltips for the heatmap's cells on hover and on keyboard focus.
// One listener on the grid (not one per cell): 100,000 cells stay cheap.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("fg-data").textContent);
  var grid = document.getElementById("hm");
  var tip = document.getElementById("tip");
  if (!grid || !tip) { return; }
  var cellsOf = grid.querySelectorAll(".cells");
  var current = null;

  function locate(el) {
    if (!el || el.tagName !== "I" || !el.parentNode || !el.parentNode.classList.contains("cells")) { return null; }
    var row = +el.parentNode.parentNode.getAttribute("data-r");
    var col = Array.prototype.indexOf.call(el.parentNode.children, el);
    return [row, col];
  }

  // A recorded cell: 1 / 0 (one pass / fail with its column's ts, judge and actor), or a list of
  // [passed (1/0), ts or 0 for the column's own, judge index, actor index, and "k/N" for a case
  // run more than once].
  function entries(cell, col) {
    var c = data.columns[col];
    if (typeof cell === "number") { return [[cell, 0, c[4], c[5]]]; }
    return cell;
  }
  function said(e, col) {
    var c = data.columns[col];
    return (e[0] ? "pass" : "fail") + (e[4] ? " " + e[4] : "") + " at " + (e[1] || c[1] || "-") + "; judge " + (data.judges[e[2]] || "-") +
           "; actor " + (data.actors[e[3]] || "-");
  }

  function lastRecorded(rec, col) {
    var best = -1;
    for (var key in rec) { var k = +key; if (k <= col && k > best) { best = k; } }
    return best;
  }

  function describe(row, col, state) {
    var r = data.rows[row], c = data.columns[col], rec = data.rec[row] || {};
    var lines = [r[0] + (r[1] ? "  " + r[1] : ""), r[2] + ", " + r[3] + ", " + r[4]];
    lines.push("state: " + state + (c[3] ? " (" + c[3] + ": this gate run)" : ""));
    lines.push("commit " + c[0] + (c[1] ? "  " + c[1] : "") + (c[2] ? "  [in the range under test]" : ""));
    if (rec[col] !== undefined) {
      entries(rec[col], col).forEach(function (e) { lines.push("recorded " + said(e, col)); });
    } else {
      var before = lastRecorded(rec, col);
      if (before >= 0) {
        var all = entries(rec[before], before);
        lines.push("nothing recorded at this commit; last recorded at " + data.columns[before][0].slice(0, 12) +
                   ": " + said(all[all.length - 1], before));
      } else if (/\bc\b/.test(state)) {
        lines.push("nothing recorded at this commit; last recorded before the first commit shown");
      } else {
        lines.push("nothing recorded yet");
      }
    }
    return lines.join("\n");
  }

  function show(el) {
    var at = locate(el);
    if (!at) { return; }
    var state = el.className.replace(" c", "") + (/\bc\b/.test(el.className) ? " (carried)" : "");
    tip.textContent = describe(at[0], at[1], state);
    tip.setAttribute("data-commit", data.columns[at[1]][0]);
    tip.setAttribute("data-case", data.rows[at[0]][0]);
    tip.hidden = false;
    var box = el.getBoundingClientRect();
    var x = Math.min(box.right + 8, window.innerWidth - tip.offsetWidth - 8);
    var y = box.bottom + 8 + tip.offsetHeight > window.innerHeight ? box.top - tip.offsetHeight - 8 : box.bottom + 8;
    tip.style.left = Math.max(0, x) + "px";
    tip.style.top = Math.max(0, y) + "px";
  }

  function hide() { tip.hidden = true; }

  // Roving tabindex (the ARIA grid pattern): one tab stop for the whole grid, arrows move.
  function move(to) {
    if (!to) { return; }
    if (current) { current.setAttribute("tabindex", "-1"); }
    current = to;
    to.setAttribute("tabindex", "0");
    to.focus();
  }
  if (cellsOf.length && cellsOf[0].firstElementChild) {
    current = cellsOf[0].firstElementChild;
    current.setAttribute("tabindex", "0");
  }
  grid.addEventListener("mouseover", function (e) { show(e.target); });
  grid.addEventListener("mouseleave", hide);
  grid.addEventListener("focusin", function (e) { show(e.target); });
  grid.addEventListener("focusout", hide);
  grid.addEventListener("keydown", function (e) {
    var at = locate(document.activeElement);
    if (!at) { return; }
    var row = at[0], col = at[1], next = null;
    if (e.key === "ArrowRight") { next = cellsOf[row].children[col + 1]; }
    else if (e.key === "ArrowLeft") { next = cellsOf[row].children[col - 1]; }
    else if (e.key === "ArrowDown" && cellsOf[row + 1]) { next = cellsOf[row + 1].children[col]; }
    else if (e.key === "ArrowUp" && cellsOf[row - 1]) { next = cellsOf[row - 1].children[col]; }
    else if (e.key === "Home") { next = cellsOf[row].firstElementChild; }
    else if (e.key === "End") { next = cellsOf[row].lastElementChild; }
    else if (e.key === "Escape") { hide(); return; }
    else { return; }
    e.preventDefault();
    move(next);
  });
})();
