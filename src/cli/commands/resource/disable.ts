// `herd resource disable ID`: target-role Stopped on the top-level resource (pcs resource disable).

import type { Command } from 'commander';
import { registerTargetRole } from './enable.js';

export const register = (resource: Command): void => registerTargetRole(resource, 'disable');
