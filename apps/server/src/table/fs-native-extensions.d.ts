// The part of fs-native-extensions the server uses (the package ships no types).
declare module 'fs-native-extensions' {
  /**
   * Takes a lock on the whole file open as `fd` without waiting: true if granted, false if
   * another open file holds it. Exclusive unless `shared`; on Linux an open-file-description lock,
   * released when the file is closed or its process ends.
   */
  export function tryLock(fd: number, options?: { shared?: boolean }): boolean;
}
