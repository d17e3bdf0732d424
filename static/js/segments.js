/*
 * SMS segment counting, the same algorithm as messaging/segments.py.
 * The character tables and limits come from the server (composer_config),
 * so the page and the server always count alike. Runs in the browser
 * (window.ClientBaySegments) and under Node for the mirror test.
 */
(function (root) {
  "use strict";

  var GSM7 = "GSM-7";
  var UCS2 = "UCS-2";

  function tables(config) {
    if (!config._basic) {
      config._basic = new Set(Array.from(config.basic));
      config._extension = new Set(Array.from(config.extension));
    }
    return config;
  }

  function gsm7Cost(ch, config) {
    if (config._basic.has(ch)) return 1;
    if (config._extension.has(ch)) return 2;
    return 0;
  }

  // Segments when no character may be split between two.
  function pack(costs, perSegment) {
    var segments = 1;
    var used = 0;
    costs.forEach(function (cost) {
      if (used + cost > perSegment) {
        segments += 1;
        used = 0;
      }
      used += cost;
    });
    return segments;
  }

  function countSegments(body, config) {
    tables(config);
    var chars = Array.from(body);
    var nonGsm = [];
    chars.forEach(function (ch) {
      if (!gsm7Cost(ch, config) && nonGsm.indexOf(ch) === -1) nonGsm.push(ch);
    });
    var encoding = nonGsm.length ? UCS2 : GSM7;
    var costs = chars.map(function (ch) {
      return encoding === GSM7 ? gsm7Cost(ch, config) : ch.length;
    });
    var units = costs.reduce(function (a, b) { return a + b; }, 0);
    var segments = 0;
    if (units > config.single[encoding]) segments = pack(costs, config.multi[encoding]);
    else if (units > 0) segments = 1;
    var smart = nonGsm.some(function (ch) {
      return Object.prototype.hasOwnProperty.call(config.replacements, ch);
    });
    return {
      encoding: encoding,
      characters: body.length, // UTF-16 units, as Twilio counts toward 1,600
      units: units,
      segments: segments,
      nonGsm: nonGsm,
      hasSmartPunctuation: smart
    };
  }

  function replaceSmartPunctuation(body, config) {
    return Array.from(body).map(function (ch) {
      return Object.prototype.hasOwnProperty.call(config.replacements, ch)
        ? config.replacements[ch] : ch;
    }).join("");
  }

  var api = { countSegments: countSegments, replaceSmartPunctuation: replaceSmartPunctuation };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.ClientBaySegments = api;
})(this);
