import { ImageReference } from './image-reference';

/**
 * A typed AWSTOE component document (the `data` of an Image Builder component), limited to
 * what the pre-pull component uses.
 *
 * @see https://docs.aws.amazon.com/imagebuilder/latest/userguide/toe-use-documents.html
 */
export interface ComponentDocument {
  readonly name: string;
  readonly description: string;
  readonly schemaVersion: '1.0';
  readonly phases: ComponentPhase[];
}

/** One phase of a component document: `build` runs before the AMI is taken, `validate` right after the build. */
export interface ComponentPhase {
  readonly name: 'build' | 'validate';
  readonly steps: ComponentStep[];
}

/** One step; `ExecutePowerShell` runs `commands` as one script and fails the step on an error. */
export interface ComponentStep {
  readonly name: string;
  readonly action: 'ExecutePowerShell';
  /** Seconds before AWSTOE stops the step (its default is 7200). */
  readonly timeoutSeconds?: number;
  readonly inputs: { readonly commands: string[] };
}

/** Pulls of multi-GiB Windows base images take minutes each; allow 30 minutes per image. */
const SECONDS_PER_IMAGE = 1800;

/**
 * Commands that make containerd reachable for `ctr`. The EKS optimized AMIs register the
 * containerd service; where the bootstrap registers it at first boot instead, a temporary
 * containerd process serves the build (as AKS' image builds do) and is stopped afterwards, so
 * the AMI's service setup stays untouched. Every construct is on one line: AWSTOE runs the
 * commands as lines of one script.
 */
const CONTAINERD_UP = [
  '$ErrorActionPreference = \'Stop\'',
  '$ctr = Join-Path $env:ProgramFiles \'containerd\\ctr.exe\'',
  '$temporary = $null',
  'if (Get-Service -Name containerd -ErrorAction SilentlyContinue) { Start-Service -Name containerd } else { $temporary = Start-Process -FilePath (Join-Path $env:ProgramFiles \'containerd\\containerd.exe\') -PassThru -WindowStyle Hidden }',
  '$ready = $false; for ($i = 0; $i -lt 30 -and -not $ready; $i++) { & $ctr version | Out-Null; if ($LASTEXITCODE -eq 0) { $ready = $true } else { Start-Sleep -Seconds 2 } }',
  'if (-not $ready) { throw \'containerd did not start\' }',
];
const CONTAINERD_DOWN = 'if ($temporary) { Stop-Process -Id $temporary.Id -Force }';

/**
 * The document of the pre-pull component: pull every image into containerd's `k8s.io`
 * namespace (the one the kubelet's CRI uses, so pods find the layers already extracted), with
 * retries, then check in the validate phase that every image is there.
 *
 * References are validated by `parseImageReference` (no quotes, spaces, `$` or `;`), so
 * quoting them in single quotes is safe.
 */
export function prePullDocument(name: string, images: readonly ImageReference[]): ComponentDocument {
  const quoted = images.map((image) => `'${image.reference}'`).join(', ');
  const pulls = images.map((image) => (image.ecrRegion === undefined
    ? `Invoke-ImagePull '${image.reference}' ''`
    // Private ECR needs a token; the build role gets one with the AWS Tools for PowerShell that
    // Amazon's Windows AMIs ship (ctr does not use the kubelet's credential provider).
    : `Invoke-ImagePull '${image.reference}' ('AWS:' + (Get-ECRLoginCommand -Region '${image.ecrRegion}').Password)`));
  return {
    name,
    description: 'Pulls container images into containerd\'s k8s.io namespace, so the first pod on a new node does not download and extract them.',
    schemaVersion: '1.0',
    phases: [
      {
        name: 'build',
        steps: [{
          name: 'PullImages',
          action: 'ExecutePowerShell',
          timeoutSeconds: SECONDS_PER_IMAGE * Math.max(images.length, 1),
          inputs: {
            commands: [
              ...CONTAINERD_UP,
              'function Invoke-ImagePull([string] $Reference, [string] $User) { for ($attempt = 1; $attempt -le 3; $attempt++) { if ($User) { & $ctr -n k8s.io images pull --user $User $Reference } else { & $ctr -n k8s.io images pull $Reference }; if ($LASTEXITCODE -eq 0) { return }; Start-Sleep -Seconds (20 * $attempt) }; throw "ctr could not pull $Reference" }',
              `try { ${pulls.length > 0 ? pulls.join('; ') : '& $ctr -n k8s.io images ls -q'} } finally { ${CONTAINERD_DOWN} }`,
            ],
          },
        }],
      },
      {
        name: 'validate',
        steps: [{
          name: 'CheckImages',
          action: 'ExecutePowerShell',
          inputs: {
            commands: [
              ...CONTAINERD_UP,
              `try { $present = @(& $ctr -n k8s.io images ls -q); foreach ($reference in @(${quoted})) { if ($present -notcontains $reference) { throw "image $reference is missing from containerd's k8s.io namespace" } } } finally { ${CONTAINERD_DOWN} }`,
            ],
          },
        }],
      },
    ],
  };
}
