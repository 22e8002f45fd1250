// mocha --config for `npm run test:fast` (see tiers.cjs).
module.exports = require("./tiers.cjs").mochaConfig("fast");
