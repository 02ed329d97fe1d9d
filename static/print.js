// The print view's "Print" button (the page itself needs no script).
document.getElementById("print-now")?.addEventListener("click", () => window.print());
