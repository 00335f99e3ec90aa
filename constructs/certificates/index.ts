export * from './desktop-certificate-authority';
export * from './desktop-certificate-authority-chart';
export * from './desktop-certificates';
