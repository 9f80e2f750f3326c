// After the page loads, every image must have loaded: a broken one is reported on the
// console (as an error, which the CI's headless Chromium check fails on) and counted in
// <body data-broken-images="N">, which the check reads from the rendered DOM.
window.addEventListener("load", function () {
    var broken = 0;
    document.querySelectorAll("img").forEach(function (img) {
        if (!img.complete || img.naturalWidth === 0) {
            broken += 1;
            console.error("image did not load: " + img.getAttribute("src"));
        }
    });
    document.body.setAttribute("data-broken-images", String(broken));
});
