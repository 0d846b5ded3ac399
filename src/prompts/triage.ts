import { z } from 'zod';
import { definePrompt } from '../definitions/types.js';

const SYMPTOMS = [
  'slow',
  'high cpu',
  'high load',
  'out of memory',
  'oom kills',
  'swapping',
  'disk full',
  'io latency',
  'unresponsive',
  'container throttled',
] as const;

export const triagePrompt = definePrompt({
  name: 'triage',
  title: 'Triage this host',
  description: 'A USE-method walk through this host: triage_host first, then the area tools its findings point to, ending in a conclusion backed by the figures (with units and windows).',
  args: z.object({
    symptom: z.string().max(200).optional().describe('what the user observed, e.g. "slow", "disk full", "out of memory"'),
  }),
  completeFrom: { symptom: null },
  complete: {
    symptom: (value) => SYMPTOMS.filter((s) => s.startsWith(value.toLowerCase())).slice(0, 100),
  },
  build({ symptom }) {
    const about = symptom ? `The reported symptom is: "${symptom.replace(/\s+/g, ' ').trim()}".` : 'No specific symptom was reported.';
    return [
      {
        role: 'user',
        text: [
          `Diagnose the health of this Linux host with the hostlens tools. ${about}`,
          '',
          '1. Call triage_host. Read its overall status, the per-area statuses and the ranked findings.',
          '2. Follow its nextSteps: call the suggested tools with the suggested arguments (for example top_processes sortBy cpu with windowSec 2, get_memory, get_filesystems for the fullest mount).',
          '3. If the symptom points at an area the findings do not cover, check that area anyway (get_cpu windowSec 5 for intermittent CPU, get_memory for memory, get_filesystems for disk space).',
          '4. Call recent_changes (since "-1d", or from before the symptom began): a package upgrade, an edited config file, a unit restart or failure, a reboot or a new listener just before the problem is a prime suspect.',
          '5. Conclude: the most likely cause, the evidence for it (figures with units and the measurement window from the results, e.g. "busy 97% over 2 s"), what you ruled out, and the next action an operator should take. Say which facts you could not measure.',
          '',
          'Rules: every rate is over a stated window (windowSec in each result); never present a since-boot average as current. Do not guess values that no tool returned.',
        ].join('\n'),
      },
    ];
  },
});
