import { readFileSync } from 'node:fs';
import { type CpuProfile, profileText, summariseProfile } from './lib/cpu-profile.js';

/** `node dist/bench/profile-summary.js FILE.cpuprofile [TOP]`: where a server spent its time. */
const [file, top = '25'] = process.argv.slice(2);
if (file === undefined) {
  console.error('Usage: node dist/bench/profile-summary.js FILE.cpuprofile [TOP]');
  process.exitCode = 1;
} else {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(`${file}\n${profileText(summariseProfile(profile, Number(top)))}\n`);
}
