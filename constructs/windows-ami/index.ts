export * from './enable-fast-launch';
export * from './fast-launch-windows-ami';
export * from './image-component';
