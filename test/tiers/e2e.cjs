// mocha --config for `npm run test:e2e` (see tiers.cjs).
module.exports = require("./tiers.cjs").mochaConfig("e2e");
