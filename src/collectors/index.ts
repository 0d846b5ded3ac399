/** Public surface of the collectors: pure, synchronous readers of /proc, /sys and statfs, plus the sampler. */
export type { CollectorContext, CreateCollectorContextOptions, StatfsResult } from './context.js';
export { createCollectorContext, toStatfsResult } from './context.js';
export type { ReadTextResult } from './read.js';
export {
  clipString,
  epochSecToRfc3339,
  listDir,
  parseDecimal,
  parseInteger,
  parseKeyValueNumbers,
  parseNonNegInt,
  pathExists,
  pct,
  readLine,
  readText,
  readTextDetailed,
  round1,
  roundTo,
} from './read.js';
export type { CoreBreakdown, CoreTimes, CpuBreakdown, CpuInfo, CpuStat, CpuTimes, LoadAvg } from './cpu.js';
export {
  countCpuList,
  cpuBreakdown,
  parseCpuInfo,
  parseCpuStat,
  parseLoadAvg,
  perCoreBreakdown,
  readCpuInfo,
  readCpuStat,
  readLoadAvg,
  readLogicalCpuCount,
} from './cpu.js';
export type { MemInfo, VmStat } from './memory.js';
export { parseMemInfo, parseVmStat, readMemInfo, readVmStat } from './memory.js';
export type { Pressure, PsiLine, PsiResource } from './pressure.js';
export { parsePsi, readPressure, readPsiFile, stallPctInWindow } from './pressure.js';
export type { FilesystemInfo, FilesystemsResult, FsCategory, MountEntry, ReadFilesystemsOptions } from './filesystems.js';
export {
  classifyFilesystem,
  decodeMountField,
  dedupeMounts,
  parseMountInfo,
  parseProcMounts,
  readFilesystems,
  readMounts,
} from './filesystems.js';
export type { BatchResult, ProcessInfo, ProcessScan, ProcessStates, ScanOptions } from './processes.js';
export {
  emptyStates,
  listPids,
  parseProcStat,
  parseProcStatus,
  processCpuPct,
  processStartedAt,
  readProcessBatch,
  scanProcesses,
  summarizeStates,
} from './processes.js';
export type { EnrichOptions, ProcessDetail } from './process-detail.js';
export {
  DEFAULT_MAX_CMDLINE_CHARS,
  countProcessFds,
  enrichProcess,
  formatCmdline,
  parseFdLimit,
  parsePasswd,
  userNameForUid,
} from './process-detail.js';
export type { CgroupCpuStat, CgroupInfo, CgroupMode, EffectiveLimits } from './cgroup.js';
export {
  detectCgroup,
  effectiveLimits,
  parseCpuMax,
  parseLimit,
  parseProcCgroup,
  readCgroup,
  readCgroupCpuStat,
  resolveCgroupCpuDir,
  throttlingInWindow,
} from './cgroup.js';
export type { ContainerRuntime, OsRelease, ReadSystemInfoOptions, SystemInfo, Virtualization } from './system.js';
export {
  detectContainer,
  detectVirtualization,
  parseOsRelease,
  readArch,
  readOsRelease,
  readRebootRequired,
  readSystemInfo,
  readTimeSync,
  readUptimeSec,
} from './system.js';
export type { DiskCounters, DiskRates, DiskStats } from './disks.js';
export { SECTOR_BYTES, diskRates, isReportedDevice, parseDiskStats, readDiskStats } from './disks.js';
export type { Conntrack, InterfaceCounters, InterfaceInfo, NetCounters, Sockstat, StackCounters, TcpState, TcpStateHistogram } from './network.js';
export {
  DEFAULT_MAX_TCP_LINES,
  TCP_STATES,
  countTcpStates,
  listInterfaces,
  parseNetDev,
  parseSnmp,
  parseSockstat,
  readConntrack,
  readInterfaceInfo,
  readNetCounters,
  readSockstat,
  readTcpStates,
} from './network.js';
export type {
  LatestCpu,
  LatestRates,
  MeasureOptions,
  MeasureSample,
  Measurement,
  PressureInWindow,
  ProcessBaseline,
  Sampler,
  SamplerOptions,
  TickSample,
} from './sampler.js';
export { MAX_WINDOW_SEC, MIN_WINDOW_SEC, createSampler } from './sampler.js';
