export * from "./args";
export * from "./contextHash";
export * from "./helpers";
export * from "./rustService";
export * from "./validation";
