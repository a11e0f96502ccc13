import { defineConfig } from 'tsup';
import { packagePreset } from '../../tooling/tsup.preset';

export default defineConfig(packagePreset());
