// Shape of the generated catalog data file (data/catalog.json); short keys keep it small.
export interface RawInstanceType {
  n: string; // name
  a: "amd64" | "arm64";
  c: number; // vCPUs
  m: number; // memory MiB
  h: string; // hypervisor ("" for metal)
  e: number; // max ENIs
  i: number; // IPv4 per ENI
  u: 0 | 1; // spot supported
  z: string[]; // zones offering the type (us-east-1 data)
  cm?: string; // cpu manufacturer
  cs?: number; // sustained clock MHz
  bm?: 1;
  eit?: 1; // encryption in transit
  nb?: number; // network bandwidth Mbps
  eb?: number; // ebs bandwidth Mbps
  nv?: number; // local NVMe GB
  st?: number; // non-NVMe (SSD/HDD) instance store GB
  g?: { n: string; m: string; c: number; mem: number };
  ac?: { n: string; m: string; c: number };
  nr?: { n: string; c: number; cores: number };
  efa?: number;
  br?: number; // pod-eni branch interfaces
  cg?: 1; // current generation
  nvt?: 1; // nested virtualization (ProcessorInfo.SupportedFeatures)
  pgs?: string[]; // placement strategies when not all of cluster/partition/spread
}
export interface RawCatalog {
  source: string;
  regions: Record<string, Record<string, number>>; // region -> type -> on-demand $/h
  zones: Record<string, string[]>;
  types: RawInstanceType[];
}
