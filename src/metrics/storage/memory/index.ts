export { MemoryStorage, type TenantStats } from "./memory-storage.js";
