// One jest run over every project: `npm test` (scripts/run-jest.js) uses this.
module.exports = {
  projects: ['<rootDir>/libs/*/jest.config.js', '<rootDir>/apps/*/jest.config.js', '<rootDir>/test/jest.config.js', '<rootDir>/test/system/jest.config.js', '<rootDir>/test/chaos/jest.config.js'],
};
