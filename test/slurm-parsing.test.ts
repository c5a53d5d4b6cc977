import { describe, expect, it } from 'vitest';
import { ConfigError, loadPipeline, parsePipeline } from '@goodhart/core';
import { baseState, exitFromJson, parseSbatchId, parseScontrolJob, parseSqueueJson, parseSqueueText } from '../scripts/slurm/job-status.ts';
import { resolveSlurmSettings, sbatchResourceArgs } from '../scripts/slurm/job-settings.ts';
import { repositoryRoot } from './support/workspace.ts';

/**
 * What the runner reads from Slurm, across versions. The 22.05 samples were printed by the loopback cluster of
 * scripts/slurm-cluster.sh; the 23.11+ shapes follow Slurm's OpenAPI (v0.0.40+) where numbers became
 * `{ set, infinite, number }` objects, `job_state` a flag array and `exit_code` an object.
 */
describe('Slurm job states', () => {
  it('reads squeue --json from Slurm 22.05: string states, raw wait status as exit code', () => {
    const text = JSON.stringify({
      meta: { plugin: { type: 'openapi/v0.0.38' } },
      errors: [],
      jobs: [
        { job_id: 1, job_state: 'FAILED', exit_code: 768, state_reason: 'NonZeroExitCode', restart_cnt: 0 },
        { job_id: 2, job_state: 'CANCELLED', exit_code: 15, state_reason: 'None', restart_cnt: 0 },
        { job_id: 3, job_state: 'PENDING', exit_code: 0, state_reason: 'BeginTime', restart_cnt: 1 },
      ],
    });
    const jobs = parseSqueueJson(text);
    expect(jobs.get('1')).toEqual({ jobId: '1', state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: 0, restarts: 0 });
    expect(jobs.get('2')).toMatchObject({ state: 'CANCELLED', exitCode: 0, signal: 15 });
    expect(jobs.get('3')).toMatchObject({ state: 'PENDING', reason: 'BeginTime', restarts: 1 });
  });

  it('reads squeue --json from Slurm 23.11+: flag arrays, number objects, exit-code objects', () => {
    const number = (n: number): { set: boolean; infinite: boolean; number: number } => ({ set: true, infinite: false, number: n });
    const text = JSON.stringify({
      jobs: [
        {
          job_id: 41,
          job_state: ['PENDING', 'REQUEUED'],
          state_reason: 'BeginTime',
          restart_cnt: 2,
          exit_code: { status: ['PENDING'], return_code: number(0), signal: { id: { set: false, infinite: false, number: 0 }, name: '' } },
        },
        {
          job_id: 42,
          job_state: ['COMPLETING', 'FAILED'],
          state_reason: 'NonZeroExitCode',
          exit_code: { status: ['ERROR'], return_code: number(1), signal: { id: number(0), name: '' } },
        },
        { job_id: 43, job_state: ['CANCELLED'], state_reason: 'None', exit_code: { status: ['SIGNALED'], return_code: 0, signal: { id: 9, name: 'KILL' } } },
      ],
    });
    const jobs = parseSqueueJson(text);
    expect(jobs.get('41')).toEqual({ jobId: '41', state: 'PENDING', reason: 'BeginTime', exitCode: 0, signal: null, restarts: 2 });
    expect(jobs.get('42')).toMatchObject({ state: 'FAILED', exitCode: 1, signal: 0 });
    expect(jobs.get('43')).toMatchObject({ state: 'CANCELLED', exitCode: 0, signal: 9 });
  });

  it('ignores what it cannot read instead of guessing', () => {
    expect(parseSqueueJson('{"jobs":[{"job_state":"RUNNING"},null,42]}').size).toBe(0);
    expect(exitFromJson('weird')).toEqual({ exitCode: null, signal: null });
    expect(baseState(undefined)).toBe('UNKNOWN');
    expect(baseState('CANCELLED by 0')).toBe('CANCELLED');
  });

  it('reads scontrol show job -o: ExitCode=exit:signal, Restarts', () => {
    const line =
      'JobId=59 JobName=proxy--test--tiny-n20-s0:train UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=1 BatchFlag=1 ExitCode=1:0 RunTime=00:00:03 Command=(null) WorkDir=/tmp/work dir';
    expect(parseScontrolJob(line)).toEqual({ jobId: '59', state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 1, signal: 0, restarts: 1 });
    expect(parseScontrolJob('JobId=60 JobState=CANCELLED Reason=DependencyNeverSatisfied ExitCode=0:15')).toMatchObject({
      state: 'CANCELLED',
      reason: 'DependencyNeverSatisfied',
      signal: 15,
    });
    expect(parseScontrolJob('slurm_load_jobs error: Invalid job id specified')).toBeUndefined();
  });

  it('reads squeue text output and sbatch --parsable ids (with or without a cluster name)', () => {
    const jobs = parseSqueueText('12|RUNNING|None\n13|PENDING|Dependency\ngarbage\n');
    expect([...jobs.keys()]).toEqual(['12', '13']);
    expect(jobs.get('13')).toMatchObject({ state: 'PENDING', reason: 'Dependency', exitCode: null });
    expect(parseSbatchId('1234\n')).toBe('1234');
    expect(parseSbatchId('1234;cluster-a')).toBe('1234');
    expect(() => parseSbatchId('sbatch: error: Batch job submission failed')).toThrow(/did not print a job id/);
  });
});

describe('Slurm job settings', () => {
  it('takes the pipeline section, lets flags override it, and turns it into sbatch options per task kind', () => {
    const base = parsePipeline({
      ...loadPipeline('test', repositoryRoot),
      slurm: {
        partition: 'cpu',
        timeLimit: '1:00:00',
        cpus: 1,
        memory: '2G',
        kinds: { ppo: { cpus: 4, memory: '8G', timeLimit: '1-00:00:00' } },
        extraArgs: ['--qos=normal'],
      },
    }).slurm;
    const settings = resolveSlurmSettings(base, { cpus: 'proxy=2', sbatchArgs: ['--account=lab'] });
    expect(sbatchResourceArgs(settings, 'ppo')).toEqual([
      '--cpus-per-task=4',
      '--mem=8G',
      '--time=1-00:00:00',
      '--partition=cpu',
      '--qos=normal',
      '--account=lab',
    ]);
    expect(sbatchResourceArgs(settings, 'proxy')).toEqual([
      '--cpus-per-task=2',
      '--mem=2G',
      '--time=1:00:00',
      '--partition=cpu',
      '--qos=normal',
      '--account=lab',
    ]);
    expect(sbatchResourceArgs(resolveSlurmSettings(undefined, {}), 'fit')).toEqual(['--cpus-per-task=1']);
    expect(sbatchResourceArgs(resolveSlurmSettings(base, { time: '30', mem: '1G', partition: 'debug' }), 'label')).toEqual([
      '--cpus-per-task=1',
      '--mem=1G',
      '--time=30',
      '--partition=debug',
      '--qos=normal',
    ]);
  });

  it('rejects bad settings with messages naming the field and what is allowed', () => {
    expect(() => resolveSlurmSettings(undefined, { time: 'two hours' })).toThrow(/slurm\.timeLimit.*"two hours".*Slurm time limit/);
    expect(() => resolveSlurmSettings(undefined, { mem: 'lots' })).toThrow(/slurm\.memory.*memory size/);
    expect(() => resolveSlurmSettings(undefined, { cpus: '0' })).toThrow(/slurm\.cpus/);
    expect(() => resolveSlurmSettings(undefined, { cpus: 'gpu=2' })).toThrow(
      /unknown task kind "gpu"; allowed: pretrain, gold-rm, label, proxy, bon, ppo, dpo, fit/,
    );
    expect(() => resolveSlurmSettings(undefined, { sbatchArgs: ['qos=normal'] })).toThrow(/slurm\.extraArgs\.0.*sbatch option/);
    expect(() => resolveSlurmSettings(undefined, { time: 'x' })).toThrow(ConfigError);
    expect(() => parsePipeline({ ...loadPipeline('test', repositoryRoot), slurm: { kinds: { gpu: { cpus: 1 } } } })).toThrow(/slurm\.kinds/);
    expect(() => parsePipeline({ ...loadPipeline('test', repositoryRoot), slurm: { cpu: 1 } })).toThrow(/unknown field "slurm.cpu"/);
  });
});
