/** The parts of an ECR repository URL (`<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>`), or undefined. */
export function parseEcrRepositoryUrl(url: string): { registryId: string; region: string; server: string; repositoryName: string } | undefined {
    const match =
        /^((\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?)\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)$/.exec(
            url,
        );
    if (!match) {
        return undefined;
    }
    return { server: match[1], registryId: match[2], region: match[3], repositoryName: match[4] };
}

/** The repository part of an image reference (`host/path` without tag or digest). */
export function imageRepository(reference: string): string {
    const withoutDigest = reference.split("@")[0];
    const lastSlash = withoutDigest.lastIndexOf("/");
    const lastColon = withoutDigest.lastIndexOf(":");
    return lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

/** The registry host of a repository (`host[:port]` before the first '/'). */
export function registryHost(repository: string): string {
    return repository.split("/")[0];
}
