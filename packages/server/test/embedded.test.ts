import { behaviourSuite } from './behaviour-suite.js';
import { smallServer } from './helpers.js';

behaviourSuite('embedded', () => smallServer());
