/**
 * The AWS CLI next to pg_dump without a custom image: an init container from the pinned `amazon/aws-cli` image
 * copies its self-contained v2 bundle (/usr/local/aws-cli, PyInstaller, needs only glibc) into an emptyDir
 * that the main container mounts at the SAME path, so the bundle's absolute `v2/current` symlink still
 * resolves. The official `postgres` image (Debian) then has `pg_dump`, `pg_restore`, bash, coreutils and `aws`.
 * Plain Kubernetes JSON (no Pulumi types), so the verification's restore Jobs can reuse it. Pure.
 */

/** Where the bundle lives in the aws-cli image and in the consuming container. */
const AWS_CLI_DIR = "/usr/local/aws-cli";
/** Directory to put on PATH in the consuming container. */
export const AWS_CLI_BIN = `${AWS_CLI_DIR}/v2/current/bin`;

/**
 * A container command that runs `script` with the AWS CLI prepended to the image's own PATH (an env PATH
 * would replace the image's, which differs per PostgreSQL major version).
 */
export function withAwsCliOnPath(script: string): string[] {
  return ["bash", "-c", `export PATH="${AWS_CLI_BIN}:$PATH"; exec bash ${script} "$@"`, script];
}

interface AwsCliBundle {
  initContainer: {
    name: string;
    image: string;
    command: string[];
    resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
    securityContext: Record<string, unknown>;
    volumeMounts: { name: string; mountPath: string }[];
  };
  volume: { name: string; emptyDir: { sizeLimit: string } };
  volumeMount: { name: string; mountPath: string; readOnly: boolean };
  env: { name: string; value: string }[];
}

/** The init container, volume, mount and env that put `aws` on PATH. */
export function awsCliBundle(image: string, volumeName = "aws-cli"): AwsCliBundle {
  return {
    initContainer: {
      name: "copy-aws-cli",
      image,
      command: [
        "/bin/sh",
        "-c",
        `cp -R -P ${AWS_CLI_DIR}/. /target/ && /target/v2/current/bin/aws --version`,
      ],
      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      },
      volumeMounts: [{ name: volumeName, mountPath: "/target" }],
    },
    volume: { name: volumeName, emptyDir: { sizeLimit: "512Mi" } },
    volumeMount: { name: volumeName, mountPath: AWS_CLI_DIR, readOnly: true },
    env: [
      // No pager and a writable home for the CLI's cache under a read-only root filesystem.
      { name: "AWS_PAGER", value: "" },
      { name: "HOME", value: "/tmp" },
    ],
  };
}
