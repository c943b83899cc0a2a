import { imageRepository, parseEcrRepositoryUrl, registryHost } from "../components/registry";

describe("registry references", () => {
    it.each([
        [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/api",
            { registryId: "123456789012", region: "us-east-1", server: "123456789012.dkr.ecr.us-east-1.amazonaws.com", repositoryName: "api" },
        ],
        [
            "123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/api",
            { registryId: "123456789012", region: "eu-central-1", server: "123456789012.dkr.ecr.eu-central-1.amazonaws.com", repositoryName: "team/api" },
        ],
        [
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api",
            { registryId: "123456789012", region: "cn-north-1", server: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", repositoryName: "api" },
        ],
    ])("parses the ECR URL %s", (url, expected) => {
        expect(parseEcrRepositoryUrl(url)).toEqual(expected);
    });

    it.each([
        "ghcr.io/acme/api",
        "12345.dkr.ecr.us-east-1.amazonaws.com/api",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/API",
        "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/api",
    ])("rejects %s as an ECR URL", (url) => {
        expect(parseEcrRepositoryUrl(url)).toBeUndefined();
    });

    it.each([
        ["ghcr.io/acme/api:1.2@sha256:abc", "ghcr.io/acme/api"],
        ["localhost:5000/api@sha256:abc", "localhost:5000/api"],
        ["localhost:5000/api:tag", "localhost:5000/api"],
        ["api", "api"],
    ])("takes the repository of %s", (ref, repo) => {
        expect(imageRepository(ref)).toBe(repo);
    });

    it("takes the registry host of a repository", () => {
        expect(registryHost("127.0.0.1:5000/team/api")).toBe("127.0.0.1:5000");
    });
});
