// mocha --config for `npm run test:engines` (see tiers.cjs).
module.exports = require("./tiers.cjs").mochaConfig("engines");
