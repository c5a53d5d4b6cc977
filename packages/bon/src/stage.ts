/** The best-of-n stage's three tasks, each in a module of its own (see stage-common.ts). */
export { bonProxies, bonScorers, STAGE } from './stage-common.ts';
export { runPool } from './pool-stage.ts';
export { runScore } from './score-stage.ts';
export { bonCurveNs, runCurves, type ProxyCurve } from './curves-stage.ts';
